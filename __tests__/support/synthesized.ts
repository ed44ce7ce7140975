/** The parts of a synthesized stack that the tests read. */
export interface SynthesizedStack {
  readonly terraform: Record<string, any>;
  readonly provider: Record<string, any[]>;
  readonly resource: Record<string, Record<string, any>>;
  readonly data?: Record<string, Record<string, any>>;
  readonly output?: Record<string, any>;
}

/** Parses the JSON that Testing.synth returns. */
export function parseSynth(json: string): SynthesizedStack {
  return JSON.parse(json) as SynthesizedStack;
}

/** Lists the configurations of every resource of one type. */
export function resourcesOfType(stack: SynthesizedStack, type: string): Record<string, any>[] {
  return Object.values(stack.resource[type] ?? {});
}

/** Returns the only resource of a type, and throws when there is not exactly one. */
export function onlyResource(stack: SynthesizedStack, type: string): Record<string, any> {
  const resources = resourcesOfType(stack, type);
  if (resources.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  }
  return resources[0];
}

/** Finds one statement by Sid in a policy JSON string. */
export function statement(policyJson: string, sid: string): Record<string, any> {
  const found = JSON.parse(policyJson).Statement.find((entry: { Sid: string }) => entry.Sid === sid);
  if (!found) {
    throw new Error(`policy has no statement ${sid}: ${policyJson}`);
  }
  return found;
}
