import { visit } from "jsonc-parser";
import { ConfigProblem } from "./errors";

/**
 * Finds environment keys defined more than once under context.environments in the text of
 * cdktf.json. JSON.parse keeps only the last of them, so without this check the first definition
 * would vanish without a word.
 */
export function duplicateEnvironmentKeyProblems(cdktfJsonText: string): ConfigProblem[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const problems: ConfigProblem[] = [];
  visit(cdktfJsonText, {
    onObjectProperty: (property, _offset, _length, _line, _column, pathSupplier) => {
      const path = pathSupplier();
      if (path.length !== 2 || path[0] !== "context" || path[1] !== "environments") {
        return;
      }
      if (seen.has(property) && !reported.has(property)) {
        reported.add(property);
        problems.push({
          environment: property,
          field: "",
          value: property,
          message:
            "is defined more than once under context.environments; JSON keeps only the last definition, so rename or remove the others",
        });
      }
      seen.add(property);
    },
  });
  return problems;
}
