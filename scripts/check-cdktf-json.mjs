#!/usr/bin/env node
// Checks that cdktf.json is valid JSON before the cdktf CLI reads it. The CLI would otherwise stop with
// a stack trace that names no file, and before the app could remove the previous output.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse, printParseErrorCode } from "jsonc-parser";

const CONFIG_FILE = "cdktf.json";
const DEFAULT_OUTPUT_DIR = "cdktf.out";

if (!existsSync(CONFIG_FILE)) {
  console.error(`${CONFIG_FILE} not found in ${process.cwd()}; run this from the project root`);
  process.exit(1);
}

const text = readFileSync(CONFIG_FILE, "utf8");
const errors = [];
parse(text, errors, { disallowComments: true, allowTrailingComma: false });
if (errors.length > 0) {
  const lines = errors.map((error) => {
    const before = text.slice(0, error.offset).split("\n");
    return `  - line ${before.length}, column ${before[before.length - 1].length + 1}: ${printParseErrorCode(error.error)}`;
  });
  console.error([`${CONFIG_FILE} is not valid JSON:`, ...lines, `Fix ${CONFIG_FILE} and run the command again.`].join("\n"));
  // Same rule as a failed synth: nothing stale may pass for current output.
  rmSync(join(DEFAULT_OUTPUT_DIR, "manifest.json"), { force: true });
  rmSync(join(DEFAULT_OUTPUT_DIR, "stacks"), { recursive: true, force: true });
  process.exit(1);
}
