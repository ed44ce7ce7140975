import { z } from "zod";
import { apiFields } from "./api-fields";
import { availabilityZonesProblem, coreFields, DEFAULT_ZONE_SUFFIXES } from "./core-fields";
import { databaseCrossFieldProblems, databaseFields, defaultConnectionsAlarmCount } from "./database-fields";
import { duplicateEnvironmentKeyProblems } from "./duplicate-keys";
import { ConfigProblem, EnvironmentConfigError, problemsFromZod } from "./errors";
import { functionFields } from "./function-fields";

/** Environment keys name stacks and resources, so they follow the strictest naming rule among them. */
const ENVIRONMENT_KEY = /^[a-z][a-z0-9]{0,9}$/;

const environmentSchema = z.strictObject({
  ...coreFields,
  ...databaseFields,
  ...functionFields,
  ...apiFields,
});

type ParsedEnvironment = z.output<typeof environmentSchema>;

/** One environment from cdktf.json, parsed, with every default applied. */
export interface EnvironmentConfig
  extends Omit<ParsedEnvironment, "availabilityZones" | "stateBucket" | "dbConnectionsAlarmCount"> {
  /** The key under context.environments, such as `dev`; it names the stack (`rdsproxy-dev`). */
  readonly key: string;
  readonly availabilityZones: readonly string[];
  readonly stateBucket: string;
  readonly dbConnectionsAlarmCount: number;
}

/** Options of {@link parseEnvironments}. */
export interface ParseEnvironmentsOptions {
  /** Text of cdktf.json, to find environment keys defined twice (JSON.parse drops all but the last). */
  readonly cdktfJsonText?: string;
}

/**
 * Parses context.environments from cdktf.json. Checks every environment and throws one
 * EnvironmentConfigError that lists every problem, before any stack exists.
 */
export function parseEnvironments(raw: unknown, options: ParseEnvironmentsOptions = {}): EnvironmentConfig[] {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new EnvironmentConfigError([
      {
        environment: "(all)",
        field: "context.environments",
        value: raw,
        message: "must be an object with one entry per environment, such as { \"dev\": { ... } }",
      },
    ]);
  }

  const problems: ConfigProblem[] = options.cdktfJsonText ? duplicateEnvironmentKeyProblems(options.cdktfJsonText) : [];
  const environments: EnvironmentConfig[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const parsed = parseEnvironment(key, value);
    problems.push(...parsed.problems);
    if (parsed.environment) {
      environments.push(parsed.environment);
    }
  }
  problems.push(...crossEnvironmentProblems(environments));

  if (problems.length > 0) {
    throw new EnvironmentConfigError(problems);
  }
  return environments;
}

function parseEnvironment(
  key: string,
  raw: unknown,
): { environment?: EnvironmentConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!ENVIRONMENT_KEY.test(key)) {
    problems.push({
      environment: key,
      field: "",
      value: key,
      message: "the environment key must be 1 to 10 lowercase letters or digits, starting with a letter (such as dev)",
    });
  }

  // Fields are also parsed one by one, so that checks across fields still run when another field is invalid.
  const result = environmentSchema.safeParse(raw);
  const fields = result.success ? result.data : parseFieldsSeparately(raw);
  if (!result.success) {
    problems.push(...problemsFromZod(key, raw, result.error));
  }
  const availabilityZones =
    fields.availabilityZones ??
    (fields.region === undefined ? undefined : DEFAULT_ZONE_SUFFIXES.map((suffix) => `${fields.region}${suffix}`));
  // A field that already failed on its own is not reported again by a check across fields.
  const invalidFields = new Set(problems.map((problem) => problem.field));
  problems.push(
    ...crossFieldProblems(key, { ...fields, availabilityZones }).filter((problem) => !invalidFields.has(problem.field)),
  );

  const dbConnectionsAlarmCount =
    fields.dbConnectionsAlarmCount ??
    (fields.dbInstanceClass === undefined ? undefined : defaultConnectionsAlarmCount(fields.dbInstanceClass));
  if (fields.dbInstanceClass !== undefined && dbConnectionsAlarmCount === undefined) {
    problems.push({
      environment: key,
      field: "dbConnectionsAlarmCount",
      value: undefined,
      message:
        `missing: this template cannot estimate max_connections of ${fields.dbInstanceClass}, ` +
        "so set the alarm threshold (connections per instance) yourself",
    });
  }

  if (!result.success || problems.length > 0 || dbConnectionsAlarmCount === undefined) {
    return { problems };
  }
  const parsed = result.data;
  return {
    environment: {
      ...parsed,
      key,
      availabilityZones: availabilityZones ?? [],
      stateBucket: parsed.stateBucket ?? `rdsproxy-tfstate-${parsed.account}-${parsed.region}`,
      dbConnectionsAlarmCount,
    },
    problems,
  };
}

/** Parses each field on its own and keeps the valid ones; defaults apply to omitted fields. */
function parseFieldsSeparately(raw: unknown): Partial<ParsedEnvironment> {
  const values: Record<string, unknown> = {};
  const input = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  for (const [field, schema] of Object.entries(environmentSchema.shape)) {
    const parsed = (schema as z.ZodType).safeParse(input[field]);
    if (parsed.success) {
      values[field] = parsed.data;
    }
  }
  return values as Partial<ParsedEnvironment>;
}

/** Checks that involve two or more fields; a check is skipped while one of its fields is invalid. */
function crossFieldProblems(key: string, fields: Partial<ParsedEnvironment>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (field: keyof ParsedEnvironment, message: string): ConfigProblem => ({
    environment: key,
    field,
    value: fields[field],
    message,
  });

  if (fields.region !== undefined && fields.availabilityZones !== undefined) {
    const zonesProblem = availabilityZonesProblem(fields.region, fields.availabilityZones);
    if (zonesProblem) {
      problems.push(at("availabilityZones", zonesProblem));
    }
  }
  for (const problem of databaseCrossFieldProblems(fields)) {
    problems.push(at(problem.field as keyof ParsedEnvironment, problem.message));
  }
  if (
    fields.functionImageUri !== undefined &&
    fields.region !== undefined &&
    !fields.functionImageUri.includes(`.dkr.ecr.${fields.region}.`)
  ) {
    problems.push(
      at("functionImageUri", `must be in the environment's region ${fields.region}: Lambda pulls images from its own region only`),
    );
  }
  return problems;
}

/** Checks across environments: names, shared state buckets and the account-level API Gateway role. */
function crossEnvironmentProblems(environments: readonly EnvironmentConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const firstByName = new Map<string, string>();
  const firstByBucket = new Map<string, EnvironmentConfig>();
  const logRoleOwnerByPlace = new Map<string, string>();

  for (const environment of environments) {
    const sameName = firstByName.get(environment.envName.toLowerCase());
    if (sameName !== undefined) {
      problems.push({
        environment: environment.key,
        field: "envName",
        value: environment.envName,
        message: `is already used by environment "${sameName}"; every environment needs its own name`,
      });
    } else {
      firstByName.set(environment.envName.toLowerCase(), environment.key);
    }

    const sameBucket = firstByBucket.get(environment.stateBucket);
    if (sameBucket && (sameBucket.account !== environment.account || sameBucket.region !== environment.region)) {
      problems.push({
        environment: environment.key,
        field: "stateBucket",
        value: environment.stateBucket,
        message:
          `is also the state bucket of environment "${sameBucket.key}" in account ${sameBucket.account}, ` +
          `${sameBucket.region}; a bucket exists in one account and region only, so give this environment its own`,
      });
    } else if (!sameBucket) {
      firstByBucket.set(environment.stateBucket, environment);
    }

    if (environment.apiManageAccountLogRole) {
      const place = `${environment.account}/${environment.region}`;
      const owner = logRoleOwnerByPlace.get(place);
      if (owner !== undefined) {
        problems.push({
          environment: environment.key,
          field: "apiManageAccountLogRole",
          value: true,
          message:
            `environment "${owner}" already manages API Gateway's account-level log role in account ` +
            `${environment.account}, ${environment.region}; only one stack may, so set this to false`,
        });
      } else {
        logRoleOwnerByPlace.set(place, environment.key);
      }
    }
  }
  return problems;
}
