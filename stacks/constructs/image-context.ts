import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * Folder names that only exist on a developer's machine (virtual environments, installed packages,
 * test caches). They are left out of the build context and of its hash wherever they appear.
 */
export const LOCAL_ONLY_FOLDER_NAMES: ReadonlySet<string> = new Set([
  ".venv",
  "node_modules",
  "__pycache__",
  ".pytest_cache",
]);

/** The `.dockerignore` file name that Docker reads from the root of a build context. */
export const DOCKERIGNORE_FILE = ".dockerignore";

// Characters that make a .dockerignore entry a pattern rather than a plain path.
const PATTERN_CHARACTERS = /[*?[\]\\]/;

/** A staged build context: a filtered copy of an image folder and the hash of its contents. */
export interface StagedImageContext {
  /** Absolute path of the staged copy. */
  readonly path: string;
  /** SHA-256 (hex) of the staged files' relative paths, executable bits and contents. */
  readonly hash: string;
}

/**
 * Reads the entries of `<folder>/.dockerignore` that name a plain path (no wildcards, no `!`
 * exception), as paths relative to the folder. The other entries do not affect the hash, but Docker
 * still applies them when it builds, because the .dockerignore file itself is staged with the context.
 */
export function readPlainDockerignoreEntries(folder: string): string[] {
  const file = path.join(folder, DOCKERIGNORE_FILE);
  if (!fs.existsSync(file)) {
    return [];
  }
  return fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("!") && !PATTERN_CHARACTERS.test(line))
    .map((line) => path.posix.normalize(line.replace(/^\/+/, "").replace(/\/+$/, "")))
    .filter((entry) => entry !== "." && entry !== "" && !entry.startsWith(".."));
}

/**
 * Lists the files of an image folder that belong to its build context, as sorted POSIX paths relative
 * to the folder. Skips {@link LOCAL_ONLY_FOLDER_NAMES} at any depth and the plain .dockerignore entries.
 */
export function listContextFiles(folder: string): string[] {
  const ignored = readPlainDockerignoreEntries(folder);
  const isIgnored = (relative: string): boolean =>
    ignored.some((entry) => relative === entry || relative.startsWith(`${entry}/`));

  const files: string[] = [];
  const visit = (relativeDir: string): void => {
    const entries = fs.readdirSync(path.join(folder, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
      if (isIgnored(relative)) {
        continue;
      }
      // statSync follows symbolic links, so a linked file is staged as a copy of its target.
      const stat = fs.statSync(path.join(folder, relative));
      if (stat.isDirectory()) {
        if (!LOCAL_ONLY_FOLDER_NAMES.has(entry.name)) {
          visit(relative);
        }
      } else if (stat.isFile()) {
        files.push(relative);
      }
    }
  };
  visit("");
  return files.sort();
}

/** Hashes the listed files: relative path, executable bit and contents of each, in order. */
export function hashContextFiles(folder: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const relative of files) {
    const absolute = path.join(folder, relative);
    const executable = (fs.statSync(absolute).mode & 0o111) !== 0;
    hash.update(`${relative}\0${executable ? "x" : "-"}\0`);
    hash.update(fs.readFileSync(absolute));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Copies the context files of `sourceFolder` to `<stagingRoot>/<name>-<hash>` and returns that folder
 * and the hash. The folder name carries the hash, so synths running at the same time (several jest
 * workers, several stacks) reuse one complete copy. Each copy is written to a temporary folder and
 * renamed into place, and an existing folder of the same hash is left as it is.
 */
export function stageImageContext(sourceFolder: string, stagingRoot: string, name: string): StagedImageContext {
  if (!fs.existsSync(path.join(sourceFolder, "Dockerfile"))) {
    throw new Error(`The image folder ${sourceFolder} has no Dockerfile. Check the image folder root and the runtime`);
  }
  const files = listContextFiles(sourceFolder);
  const hash = hashContextFiles(sourceFolder, files);
  const target = path.join(stagingRoot, `${name}-${hash}`);
  if (fs.existsSync(target)) {
    return { path: target, hash };
  }

  fs.mkdirSync(stagingRoot, { recursive: true });
  const temporary = fs.mkdtempSync(path.join(stagingRoot, `.${name}-`));
  for (const relative of files) {
    const destination = path.join(temporary, relative);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.copyFileSync(path.join(sourceFolder, relative), destination);
    fs.chmodSync(destination, fs.statSync(path.join(sourceFolder, relative)).mode & 0o777);
  }
  try {
    fs.renameSync(temporary, target);
  } catch (error) {
    // Another process staged the same hash first, and its copy has the same files.
    fs.rmSync(temporary, { recursive: true, force: true });
    if (!fs.existsSync(target)) {
      throw error;
    }
  }
  return { path: target, hash };
}
