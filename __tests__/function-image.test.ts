import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Testing, TerraformOutput, TerraformStack } from "cdktf";
import { AppKey } from "../stacks/constructs/app-key";
import {
  DEFAULT_IMAGE_FOLDER_ROOT,
  FUNCTION_IMAGE_RETAINED_COUNT,
  FunctionImage,
  FunctionImageProps,
  UNPINNED_IMAGE_URI_WARNING,
} from "../stacks/constructs/function-image";
import { LOCAL_ONLY_FOLDER_NAMES, listContextFiles } from "../stacks/constructs/image-context";
import { PROJECT_ROOT } from "./support/environments";

const ACCOUNT = "123456789012";
const REGION = "ap-northeast-1";
const DIGEST = `sha256:${"ab".repeat(32)}`;
const PINNED_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/rdsproxy-test-function@${DIGEST}`;
const TAGGED_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/rdsproxy-test-function:v1`;

/** Scratch folder with a copy of the real image folders, so tests can change files freely. */
let scratch: string;
let imageFolderRoot: string;
let stagingRoot: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "function-image-test-"));
  imageFolderRoot = path.join(scratch, "lambda-image");
  stagingRoot = path.join(scratch, "staging");
  for (const runtime of ["python", "nodejs"]) {
    fs.cpSync(path.join(DEFAULT_IMAGE_FOLDER_ROOT, runtime), path.join(imageFolderRoot, runtime), {
      recursive: true,
      filter: (source) => !LOCAL_ONLY_FOLDER_NAMES.has(path.basename(source)),
    });
  }
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Synthesized {
  readonly json: string;
  readonly parsed: {
    output?: Record<string, { value: string }>;
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    data?: Record<string, Record<string, Record<string, unknown>>>;
    provider?: Record<string, Record<string, unknown>[]>;
  };
  readonly image: FunctionImage;
  readonly stack: TerraformStack;
}

/** Builds a test stack with an AWS provider, the app key and one FunctionImage. */
function imageStack(changes: Partial<FunctionImageProps> = {}): { stack: TerraformStack; image: FunctionImage } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: REGION });
  const appKey = new AppKey(stack, "AppKey", { partition: "aws", accountId: ACCOUNT, region: REGION, aliasName: "test-app" });
  const image = new FunctionImage(stack, "FunctionImage", {
    accountId: ACCOUNT,
    region: REGION,
    dnsSuffix: new DataAwsPartition(stack, "Partition").dnsSuffix,
    repositoryName: "rdsproxy-test-function",
    appKey,
    runtime: "python",
    architecture: "x86_64",
    imageFolderRoot,
    stagingRoot,
    ...changes,
  });
  new TerraformOutput(stack, "image_uri", { value: image.imageUri });
  return { stack, image };
}

function synthImage(changes: Partial<FunctionImageProps> = {}): Synthesized {
  const { stack, image } = imageStack(changes);
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json), image, stack };
}

/** Returns the Terraform address (`type.name`) of the only resource of a type. */
function addressOf(synthesized: Synthesized, type: string): string {
  const names = Object.keys(synthesized.parsed.resource?.[type] ?? {});
  expect(names).toHaveLength(1);
  return `${type}.${names[0]}`;
}

/** Returns the only resource of a type in the synthesized stack. */
function onlyResource(synthesized: Synthesized, type: string): Record<string, unknown> {
  const resources = Object.values(synthesized.parsed.resource?.[type] ?? {});
  expect(resources).toHaveLength(1);
  return resources[0];
}

function resourceCount(synthesized: Synthesized, type: string): number {
  return Object.keys(synthesized.parsed.resource?.[type] ?? {}).length;
}

function warnings(construct: FunctionImage): string[] {
  return construct.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
}

describe("FunctionImage repository", () => {
  it.each([
    ["build mode", {}],
    ["image-URI mode", { imageUri: PINNED_URI }],
  ])("is hardened in %s", (_mode, changes) => {
    const synthesized = synthImage(changes);
    expect(synthesized.json).toHaveResourceWithProperties({ tfResourceType: "aws_ecr_repository" }, {
      name: "rdsproxy-test-function",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS", kms_key: `\${${addressOf(synthesized, "aws_kms_key")}.arn}` }],
    });
  });

  it("keeps a fixed number of images", () => {
    const synthesized = synthImage();
    const policy = onlyResource(synthesized, "aws_ecr_lifecycle_policy");
    expect(policy.repository).toBe(`\${${addressOf(synthesized, "aws_ecr_repository")}.name}`);
    const rules = JSON.parse(String(policy.policy)).rules;
    expect(rules).toHaveLength(1);
    expect(rules[0].selection).toEqual({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: FUNCTION_IMAGE_RETAINED_COUNT });
    expect(rules[0].action).toEqual({ type: "expire" });
  });
});

describe("FunctionImage build mode", () => {
  it("configures the docker provider with an ECR token", () => {
    const synthesized = synthImage();
    const providers = synthesized.parsed.provider?.docker ?? [];
    expect(providers).toHaveLength(1);
    const auth = providers[0].registry_auth as Record<string, unknown>[];
    expect(auth).toHaveLength(1);
    expect(auth[0].username).toMatch(/^\$\{data\.aws_ecr_authorization_token\.[A-Za-z0-9_]+\.user_name\}$/);
    expect(auth[0].password).toMatch(/^\$\{data\.aws_ecr_authorization_token\.[A-Za-z0-9_]+\.password\}$/);
    expect(synthesized.json).toHaveDataSourceWithProperties({ tfResourceType: "aws_ecr_authorization_token" }, { registry_id: ACCOUNT });
  });

  it("builds the registry address without repository attributes", () => {
    const synthesized = synthImage();
    const auth = (synthesized.parsed.provider?.docker ?? [])[0].registry_auth as Record<string, unknown>[];
    expect(auth[0].address).toMatch(
      new RegExp(`^${ACCOUNT}\\.dkr\\.ecr\\.${REGION}\\.\\$\\{data\\.aws_partition\\.[A-Za-z0-9_]+\\.dns_suffix\\}$`),
    );
    expect(String(auth[0].address)).not.toContain("aws_ecr_repository");
  });

  it("builds with a relative context and the architecture's platform", () => {
    const synthesized = synthImage();
    const image = onlyResource(synthesized, "docker_image");
    const build = image.build as Record<string, unknown>;
    const hash = synthesized.image.contextHash;
    expect(hash).toMatch(/^[a-f0-9]{64}$/);
    expect(build.context).toMatch(new RegExp(`^assets/FunctionImage_BuildContext_[A-F0-9]{8}/${hash}$`));
    expect(path.isAbsolute(String(build.context))).toBe(false);
    expect(build.platform).toBe("linux/amd64");
    expect(build.dockerfile).toBe("Dockerfile");
    expect(image.name).toMatch(new RegExp(`/\\$\\{aws_ecr_repository\\.[A-Za-z0-9_]+\\.name\\}:${hash}$`));
    expect(image.triggers).toEqual({ context_hash: hash });
  });

  it("builds arm64 images for linux/arm64", () => {
    const build = onlyResource(synthImage({ architecture: "arm64" }), "docker_image").build as Record<string, unknown>;
    expect(build.platform).toBe("linux/arm64");
  });

  it("sets no buildx builder, which would add attestations", () => {
    const build = onlyResource(synthImage(), "docker_image").build as Record<string, unknown>;
    expect(build).not.toHaveProperty("builder");
  });

  it("pushes the built image when the context changes", () => {
    const synthesized = synthImage();
    const push = onlyResource(synthesized, "docker_registry_image");
    expect(push.name).toMatch(/^\$\{docker_image\.[A-Za-z0-9_]+\.name\}$/);
    expect(push.triggers).toEqual({ context_hash: synthesized.image.contextHash });
    expect(push.keep_remotely).toBe(true);
    expect(push.depends_on).toEqual([addressOf(synthesized, "aws_ecr_repository")]);
  });

  it("exposes the image URI by pushed digest", () => {
    const synthesized = synthImage();
    expect(synthesized.parsed.output?.image_uri.value).toBe(
      `\${${addressOf(synthesized, "aws_ecr_repository")}.repository_url}@\${${addressOf(synthesized, "docker_registry_image")}.sha256_digest}`,
    );
    expect(synthesized.parsed.output?.image_uri.value).toMatch(
      /^\$\{aws_ecr_repository\.[A-Za-z0-9_]+\.repository_url\}@\$\{docker_registry_image\.[A-Za-z0-9_]+\.sha256_digest\}$/,
    );
  });

  it("keeps machine paths out of the JSON", () => {
    const synthesized = synthImage();
    expect(synthesized.json).not.toContain(scratch);
    expect(synthesized.json).not.toContain(PROJECT_ROOT);
    expect(synthesized.json).not.toContain(os.tmpdir());
  });

  it("copies the filtered context into the stack", () => {
    fs.mkdirSync(path.join(imageFolderRoot, "python", ".venv"), { recursive: true });
    fs.writeFileSync(path.join(imageFolderRoot, "python", ".venv", "marker"), "local only");
    const { stack, image } = imageStack();
    const outdir = Testing.fullSynth(stack);
    const stackDir = path.join(outdir, "stacks", "test");
    const build = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")).resource.docker_image;
    const context = path.join(stackDir, String((Object.values(build)[0] as { build: { context: string } }).build.context));
    expect(context.endsWith(String(image.contextHash))).toBe(true);
    expect(fs.existsSync(path.join(context, "Dockerfile"))).toBe(true);
    expect(fs.existsSync(path.join(context, ".dockerignore"))).toBe(true);
    expect(fs.existsSync(path.join(context, ".venv"))).toBe(false);
    fs.rmSync(path.join(imageFolderRoot, "python", ".venv"), { recursive: true });
  });

  it("builds the nodejs folder for the nodejs runtime", () => {
    const python = synthImage({ runtime: "python" }).image.contextHash;
    const nodejs = synthImage({ runtime: "nodejs" });
    expect(nodejs.image.contextHash).not.toBe(python);
    const staged = path.join(stagingRoot, `nodejs-${nodejs.image.contextHash}`);
    expect(fs.readFileSync(path.join(staged, "Dockerfile"), "utf8")).toBe(
      fs.readFileSync(path.join(imageFolderRoot, "nodejs", "Dockerfile"), "utf8"),
    );
  });

  it("rejects an image folder without a Dockerfile", () => {
    const empty = path.join(scratch, "empty-root");
    fs.mkdirSync(path.join(empty, "python"), { recursive: true });
    expect(() => synthImage({ imageFolderRoot: empty })).toThrow(
      `The image folder ${path.join(empty, "python")} has no Dockerfile. Check the image folder root and the runtime`,
    );
  });

  it("resolves the default image folder from the source, not the working directory", () => {
    expect(DEFAULT_IMAGE_FOLDER_ROOT).toBe(path.join(PROJECT_ROOT, "lambda-image"));
    const previous = process.cwd();
    process.chdir(os.tmpdir());
    try {
      const synthesized = synthImage({ imageFolderRoot: undefined, stagingRoot: undefined });
      const build = onlyResource(synthesized, "docker_image").build as Record<string, unknown>;
      expect(build.context).toMatch(new RegExp(`^assets/FunctionImage_BuildContext_[A-F0-9]{8}/${synthesized.image.contextHash}$`));
      expect(synthesized.json).not.toContain(PROJECT_ROOT);
    } finally {
      process.chdir(previous);
    }
  });
});

describe("FunctionImage context hash", () => {
  const hashNow = (): string | undefined => synthImage().image.contextHash;
  const python = (...parts: string[]): string => path.join(imageFolderRoot, "python", ...parts);

  it("changes the tag and trigger when a file changes", () => {
    const before = synthImage();
    fs.appendFileSync(python("handler.py"), "\n# changed by a test\n");
    const after = synthImage();
    expect(after.image.contextHash).not.toBe(before.image.contextHash);
    expect(String(onlyResource(after, "docker_image").name)).toMatch(new RegExp(`:${after.image.contextHash}$`));
    expect(onlyResource(after, "docker_image").triggers).toEqual({ context_hash: after.image.contextHash });
    expect(onlyResource(after, "docker_registry_image").triggers).toEqual({ context_hash: after.image.contextHash });
  });

  it("changes when a file is added", () => {
    const before = hashNow();
    fs.writeFileSync(python("rds_probe", "added_by_test.py"), "VALUE = 1\n");
    expect(hashNow()).not.toBe(before);
  });

  it("ignores files outside the image folder", () => {
    const before = hashNow();
    fs.writeFileSync(path.join(imageFolderRoot, "README.md"), "not part of any image\n");
    fs.appendFileSync(path.join(imageFolderRoot, "nodejs", "package.json"), "\n");
    expect(hashNow()).toBe(before);
  });

  it.each([...LOCAL_ONLY_FOLDER_NAMES])("ignores files in %s folders", (folder) => {
    const before = hashNow();
    fs.mkdirSync(python(folder), { recursive: true });
    fs.writeFileSync(python(folder, "local.txt"), "local only\n");
    fs.mkdirSync(python("rds_probe", folder), { recursive: true });
    fs.writeFileSync(python("rds_probe", folder, "nested.txt"), "local only\n");
    expect(hashNow()).toBe(before);
    expect(listContextFiles(python()).some((file) => file.split("/").includes(folder))).toBe(false);
  });

  it("ignores plain .dockerignore entries", () => {
    const before = hashNow();
    fs.mkdirSync(python("tests"), { recursive: true });
    fs.writeFileSync(python("tests", "test_added.py"), "def test_nothing():\n    pass\n");
    expect(hashNow()).toBe(before);
  });

  it("changes when the executable bit changes", () => {
    const before = hashNow();
    fs.chmodSync(python("handler.py"), 0o755);
    expect(hashNow()).not.toBe(before);
    fs.chmodSync(python("handler.py"), 0o644);
    expect(hashNow()).toBe(before);
  });
});

describe("FunctionImage image-URI mode", () => {
  it("has no docker provider and builds nothing", () => {
    const synthesized = synthImage({ imageUri: PINNED_URI });
    expect(synthesized.parsed.provider?.docker).toBeUndefined();
    expect(resourceCount(synthesized, "docker_image")).toBe(0);
    expect(resourceCount(synthesized, "docker_registry_image")).toBe(0);
    expect(synthesized.parsed.data?.aws_ecr_authorization_token).toBeUndefined();
    expect(synthesized.json).not.toContain("assets/");
    expect(synthesized.image.contextHash).toBeUndefined();
  });

  it("uses the image URI as given", () => {
    expect(synthImage({ imageUri: PINNED_URI }).image.imageUri).toBe(PINNED_URI);
    expect(synthImage({ imageUri: TAGGED_URI }).image.imageUri).toBe(TAGGED_URI);
  });

  it("warns about a URI not pinned by digest", () => {
    const found = warnings(synthImage({ imageUri: TAGGED_URI }).image);
    expect(found).toHaveLength(1);
    expect(found[0].startsWith(`${UNPINNED_IMAGE_URI_WARNING} The function image ${TAGGED_URI} is not pinned by digest`)).toBe(true);
  });

  it("does not warn about a digest-pinned URI", () => {
    expect(warnings(synthImage({ imageUri: PINNED_URI }).image)).toEqual([]);
  });

  it("rejects a malformed image URI", () => {
    expect(() => synthImage({ imageUri: "docker.io/library/python:3.13" })).toThrow(
      'FunctionImage: imageUri "docker.io/library/python:3.13" is not an ECR image URI such as ' +
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/repo@sha256:<64 hex digits>",
    );
  });
});
