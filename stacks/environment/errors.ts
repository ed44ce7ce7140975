import { z } from "zod";

/**
 * A problem found in one environment's configuration: the environment key in cdktf.json, the dotted
 * field path, the value received and a message that states what is allowed.
 */
export interface ConfigProblem {
  readonly environment: string;
  readonly field: string;
  readonly value: unknown;
  readonly message: string;
}

/** Error thrown before any stack is built when cdktf.json has invalid environments. It lists every problem at once. */
export class EnvironmentConfigError extends Error {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(
      [
        `Invalid environment configuration in cdktf.json (context.environments): ${problems.length} problem(s).`,
        ...problems.map(formatProblem),
        "Fix the values above in cdktf.json and run synth again.",
      ].join("\n"),
    );
    this.name = "EnvironmentConfigError";
  }
}

/** Formats one problem as a single line that names the environment, the field and the value. */
export function formatProblem(problem: ConfigProblem): string {
  const field = problem.field === "" ? "(the environment itself)" : `field "${problem.field}"`;
  return `  - environment "${problem.environment}", ${field}, value ${describeValue(problem.value)}: ${problem.message}`;
}

/** Renders a received value for a message: JSON for plain data, `<missing>` for undefined. */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return "<missing>";
  }
  const json = JSON.stringify(value);
  const MAX_VALUE_CHARS = 120;
  return json.length > MAX_VALUE_CHARS ? `${json.slice(0, MAX_VALUE_CHARS)}…` : json;
}

/** Converts zod's issues for one environment into problems, with our own words for the common codes. */
export function problemsFromZod(environment: string, raw: unknown, error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({
          environment,
          field: [...path, key].join("."),
          value: valueAt(raw, [...path, key]),
          message: "unknown field; remove it or fix its spelling (field names are case-sensitive)",
        });
      }
      continue;
    }
    const value = valueAt(raw, path);
    let message = issue.message;
    if (issue.code === "invalid_type" && value === undefined) {
      message = "missing required field";
    } else if (issue.code === "invalid_type") {
      // zod reports a fractional number for an int field as invalid_type too; its own message fits that case.
      const expected = issue.expected === "int" ? "number" : issue.expected;
      const receivedMatches = expected === "number" && typeof value === "number";
      message = receivedMatches ? issue.message : wrongTypeMessage(expected, value);
    }
    problems.push({ environment, field: path.join("."), value, message });
  }
  return problems;
}

/** JSON spellings of the types a field can expect. */
const EXPECTED_JSON = {
  string: "a JSON string in double quotes",
  number: "a JSON number without quotes",
  boolean: "true or false, without quotes",
  array: "a JSON array",
  object: "a JSON object",
} as const;

function wrongTypeMessage(expected: string, value: unknown): string {
  const received = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const allowed = EXPECTED_JSON[expected as keyof typeof EXPECTED_JSON] ?? `a value of type ${expected}`;
  return `must be ${allowed}, not a JSON ${received}`;
}

function valueAt(raw: unknown, path: readonly string[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
