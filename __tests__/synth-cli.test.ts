import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./support/environments";

/** Files and folders a synth needs, linked into a scratch copy of the project. */
const LINKED_ENTRIES = ["node_modules", "stacks", "lambda-image", "scripts", "main.ts", "tsconfig.json", "package.json"];

/** Makes a scratch project with the given cdktf.json text. */
function scratchProjectWithText(cdktfJsonText: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdsproxy-synth-"));
  for (const entry of LINKED_ENTRIES) {
    if (fs.existsSync(path.join(PROJECT_ROOT, entry))) {
      fs.symlinkSync(path.join(PROJECT_ROOT, entry), path.join(dir, entry));
    }
  }
  fs.writeFileSync(path.join(dir, "cdktf.json"), cdktfJsonText);
  return dir;
}

/** Makes a scratch project whose cdktf.json has one changed environment field. */
function scratchProject(change: (environments: Record<string, Record<string, unknown>>) => void): string {
  const cdktfJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8"));
  change(cdktfJson.context.environments);
  return scratchProjectWithText(JSON.stringify(cdktfJson, null, 2));
}

/** Runs `npm run synth`, the command the README gives. */
function synth(dir: string) {
  return spawnSync("npm", ["run", "--silent", "synth"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0" },
    timeout: 120_000,
  });
}

describe("cdktf synth with an invalid cdktf.json", () => {
  const dir = scratchProject((environments) => {
    environments.stage.vpcCidr = "10.110.0.0/24";
  });
  // Output of an earlier, good synth that must not survive the failed one.
  const stale = path.join(dir, "cdktf.out", "stacks", "rdsproxy-stage");
  fs.mkdirSync(stale, { recursive: true });
  fs.writeFileSync(path.join(stale, "cdk.tf.json"), "{}");
  fs.writeFileSync(path.join(dir, "cdktf.out", "manifest.json"), "{}");
  const result = synth(dir);

  it("exits non-zero", () => {
    expect(result.status).not.toBe(0);
  });

  it("names the environment, the field and the value", () => {
    expect(result.stderr + result.stdout).toContain('environment "stage", field "vpcCidr", value "10.110.0.0/24"');
  });

  it("leaves no output that looks like a good synth", () => {
    expect(fs.existsSync(path.join(dir, "cdktf.out", "manifest.json"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks"))).toBe(false);
  });
});

describe("cdktf synth with an environment key defined twice", () => {
  const shipped = fs.readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8");
  const environments = JSON.parse(shipped).context.environments;
  // A copied block whose key was not renamed: JSON.parse would silently keep only this one.
  const copied = `"dev": ${JSON.stringify({ ...environments.dev, vpcCidr: "10.130.0.0/16" })},\n`;
  const text = shipped.replace('"environments": {', `"environments": {\n${copied}`);
  const result = synth(scratchProjectWithText(text));

  it("exits non-zero and names the key", () => {
    expect(text).not.toBe(shipped);
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toContain('environment "dev", (the environment itself), value "dev": is defined more than once');
  });
});

describe("cdktf synth with a cdktf.json that is not JSON", () => {
  const shipped = fs.readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8");
  // A trailing comma, the most common hand-editing slip.
  const text = shipped.replace('"dbName": "mydbname"', '"dbName": "mydbname",');
  const dir = scratchProjectWithText(text);
  fs.mkdirSync(path.join(dir, "cdktf.out", "stacks", "rdsproxy-dev"), { recursive: true });
  fs.writeFileSync(path.join(dir, "cdktf.out", "manifest.json"), "{}");
  const result = synth(dir);

  it("exits non-zero with the line and column", () => {
    expect(text).not.toBe(shipped);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/cdktf\.json is not valid JSON:\n {2}- line \d+, column \d+: /);
  });

  it("prints no stack trace", () => {
    expect(result.stderr).not.toContain("    at ");
  });

  it("leaves no output that looks like a good synth", () => {
    expect(fs.existsSync(path.join(dir, "cdktf.out", "manifest.json"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks"))).toBe(false);
  });
});

describe("cdktf synth with two environments sharing one state bucket", () => {
  const dir = scratchProject((environments) => {
    environments.qa = { ...environments.dev, envName: "QA", vpcCidr: "10.130.0.0/16", apiManageAccountLogRole: false };
  });
  const result = synth(dir);
  const stacksDir = path.join(dir, "cdktf.out", "stacks");

  it("writes one bootstrap stack for the shared bucket", () => {
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(stacksDir, "rdsproxy-qa", "cdk.tf.json"))).toBe(true);
    expect(fs.existsSync(path.join(stacksDir, "rdsproxy-dev-state", "cdk.tf.json"))).toBe(true);
    expect(fs.existsSync(path.join(stacksDir, "rdsproxy-qa-state"))).toBe(false);
  });
});

describe("cdktf synth with the shipped cdktf.json", () => {
  const dir = scratchProject(() => undefined);
  const result = synth(dir);
  const stacksDir = path.join(dir, "cdktf.out", "stacks");

  it("exits zero", () => {
    expect(result.stderr).not.toContain("ERROR");
    expect(result.status).toBe(0);
  });

  it("writes every application and bootstrap stack", () => {
    for (const key of ["dev", "stage", "prod"]) {
      expect(fs.existsSync(path.join(stacksDir, `rdsproxy-${key}`, "cdk.tf.json"))).toBe(true);
      expect(fs.existsSync(path.join(stacksDir, `rdsproxy-${key}-state`, "cdk.tf.json"))).toBe(true);
    }
  });

  it("gives each environment a distinct state key", () => {
    const keys = ["dev", "stage", "prod"].map(
      (key) => JSON.parse(fs.readFileSync(path.join(stacksDir, `rdsproxy-${key}`, "cdk.tf.json"), "utf8")).terraform.backend.s3.key,
    );
    expect(new Set(keys).size).toBe(3);
  });

  it("writes no absolute path of this machine into the stacks", () => {
    for (const stack of fs.readdirSync(stacksDir)) {
      const text = fs.readFileSync(path.join(stacksDir, stack, "cdk.tf.json"), "utf8");
      expect(text).not.toContain(dir);
      expect(text).not.toContain(PROJECT_ROOT);
    }
  });
});
