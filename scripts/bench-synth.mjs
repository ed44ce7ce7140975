#!/usr/bin/env node
// Benchmark (not a test): wall time and peak memory of `npm run synth` for every environment.
// Prints one line per run and the median. Peak memory is the largest resident set of any process
// in the run, as GNU time reports it for the command and its children.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GNU_TIME = "/usr/bin/time";
if (!existsSync(GNU_TIME)) {
  console.error(`bench-synth: ${GNU_TIME} (Debian package "time") is required to measure peak memory`);
  process.exit(1);
}

console.log(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
const results = [];
for (let run = 1; run <= RUNS; run += 1) {
  const report = join(mkdtempSync(join(tmpdir(), "bench-synth-")), "time.txt");
  const started = process.hrtime.bigint();
  execFileSync(GNU_TIME, ["-f", "%M", "-o", report, "npm", "run", "--silent", "synth"], {
    stdio: "ignore",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = Number(readFileSync(report, "utf8").trim().split("\n").pop()) / 1024;
  results.push({ seconds, peakMiB });
  console.log(`run ${run}: ${seconds.toFixed(2)} s wall, ${peakMiB.toFixed(0)} MiB peak RSS`);
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `median of ${RUNS}: ${median(results.map((r) => r.seconds)).toFixed(2)} s, ${median(results.map((r) => r.peakMiB)).toFixed(0)} MiB`,
);
