import { z } from "zod";
import { apiFields } from "./api-fields";
import { availabilityZonesProblem, coreFields, DEFAULT_ZONE_SUFFIXES } from "./core-fields";
import { databaseCrossFieldProblems, databaseFields } from "./database-fields";
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
export interface EnvironmentConfig extends Omit<ParsedEnvironment, "availabilityZones" | "stateBucket"> {
  /** The key under context.environments, such as `dev`; it names the stack (`rdsproxy-dev`). */
  readonly key: string;
  readonly availabilityZones: readonly string[];
  readonly stateBucket: string;
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
  problems.push(...duplicateProblems(environments));

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

  const result = environmentSchema.safeParse(raw);
  if (!result.success) {
    return { problems: [...problems, ...problemsFromZod(key, raw, result.error)] };
  }
  const parsed = result.data;
  const availabilityZones =
    parsed.availabilityZones ?? DEFAULT_ZONE_SUFFIXES.map((suffix) => `${parsed.region}${suffix}`);
  const at = (field: string, message: string): ConfigProblem => ({
    environment: key,
    field,
    value: (parsed as Record<string, unknown>)[field],
    message,
  });

  const zonesProblem = availabilityZonesProblem(parsed.region, availabilityZones);
  if (zonesProblem) {
    problems.push({ environment: key, field: "availabilityZones", value: availabilityZones, message: zonesProblem });
  }
  for (const problem of databaseCrossFieldProblems(parsed)) {
    problems.push(at(problem.field, problem.message));
  }
  if (parsed.functionImageUri && !parsed.functionImageUri.includes(`.dkr.ecr.${parsed.region}.`)) {
    problems.push(
      at("functionImageUri", `must be in the environment's region ${parsed.region}: Lambda pulls images from its own region only`),
    );
  }

  if (problems.length > 0) {
    return { problems };
  }
  return {
    environment: {
      ...parsed,
      key,
      availabilityZones,
      stateBucket: parsed.stateBucket ?? `rdsproxy-tfstate-${parsed.account}-${parsed.region}`,
    },
    problems,
  };
}

function duplicateProblems(environments: readonly EnvironmentConfig[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const firstByName = new Map<string, string>();
  for (const environment of environments) {
    const first = firstByName.get(environment.envName.toLowerCase());
    if (first !== undefined) {
      problems.push({
        environment: environment.key,
        field: "envName",
        value: environment.envName,
        message: `is already used by environment "${first}"; every environment needs its own name`,
      });
    } else {
      firstByName.set(environment.envName.toLowerCase(), environment.key);
    }
  }
  return problems;
}
