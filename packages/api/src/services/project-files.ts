/**
 * The project's files: its folder on disk, `<storageRoot>/projects/<projectId>`, which its
 * kernels see as their working directory (so `df.to_csv("out.csv")` lands here) and where catalog
 * uploads live. People list, download, upload, make folders and delete in it.
 *
 * Every path is checked strictly (SECURITY.md case 25): relative, no `..`, no NUL; the real path
 * (symbolic links resolved) must stay inside the project's real folder; files and folders are
 * then opened by descriptor and the descriptor's own path (`/proc/self/fd`) is checked again, so
 * a kernel that swaps a folder for a link between the check and the use gains nothing. Deletion
 * runs as the folder's owner (the project's sandbox user) when Flint runs as root, so even a race
 * can only delete what the project's own code could. See docs/notebooks.md.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import {
  type FileHandle,
  lchown,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
} from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as TWebReadableStream } from "node:stream/web";
import { folderOwner, projectStorageDir } from "@flint/catalog";
import type { z } from "zod";
import { type TProjectFile, ZEntryName, type ZProjectFolder } from "../contract/files.js";
import { AppError } from "../errors.js";

/** Temporary files of uploads in progress: not shown. */
const UPLOADING_PREFIX = ".uploading-";

/** Splits and checks a relative path; `[]` is the project's folder. */
export function parseProjectPath(relative: string): string[] {
  const parts = relative.split("/").filter((part) => part !== "" && part !== ".");
  for (const part of parts) {
    if (part === ".." || part.includes("\0") || part.includes("\\")) {
      throw new AppError(
        "bad_request",
        `The path '${relative.slice(0, 200)}' must stay inside the project's folder: no '..', no backslashes.`,
      );
    }
  }
  return parts;
}

function isInside(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot + path.sep);
}

function outside(): AppError {
  return new AppError("bad_request", "That path leads outside the project's folder (through a link).");
}

function missing(relative: string): AppError {
  return new AppError("not_found", `Nothing at '${relative.slice(0, 200)}' in the project's files.`);
}

/** The project's folder, created when missing, and its real path. */
async function projectRoot(storageRoot: string, projectId: string): Promise<string> {
  const root = projectStorageDir(storageRoot, projectId);
  await mkdir(root, { recursive: true });
  return await realpath(root);
}

/** The real path of `parts` inside the project's real folder; 404 when absent, 400 when outside. */
async function resolveExisting(realRoot: string, parts: string[]): Promise<string> {
  const joined = path.join(realRoot, ...parts);
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw missing(parts.join("/"));
  }
  if (!isInside(realRoot, real)) throw outside();
  return real;
}

/** Checks that an open descriptor is inside the project's folder (after any race). */
async function assertDescriptorInside(realRoot: string, handle: FileHandle): Promise<void> {
  const real = await readlink(`/proc/self/fd/${handle.fd}`);
  if (!isInside(realRoot, real)) throw outside();
}

/** Opens a folder of the project by descriptor, checked; the caller closes it. */
async function openFolder(realRoot: string, parts: string[]): Promise<FileHandle> {
  const real = await resolveExisting(realRoot, parts);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    throw new AppError("bad_request", `'${parts.join("/").slice(0, 200)}' is not a folder.`);
  }
  try {
    await assertDescriptorInside(realRoot, handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** The owner to give new entries: the project folder's (its sandbox user), when Flint is root. */
const ownerOf = folderOwner;

function toEntry(parts: string[], name: string, info: Awaited<ReturnType<typeof lstat>>): TProjectFile {
  const kind = info.isSymbolicLink() ? "link" : info.isDirectory() ? "folder" : "file";
  return {
    name,
    path: [...parts, name].join("/"),
    kind,
    sizeBytes: kind === "file" ? Number(info.size) : 0,
    modifiedAt: info.mtime.toISOString(),
  };
}

/** Lists a folder of the project: folders first, then by name. */
export async function listProjectFiles(
  storageRoot: string,
  projectId: string,
  relative: string,
): Promise<z.infer<typeof ZProjectFolder>> {
  const parts = parseProjectPath(relative);
  const realRoot = await projectRoot(storageRoot, projectId);
  const handle = await openFolder(realRoot, parts);
  try {
    const folder = `/proc/self/fd/${handle.fd}`;
    const names = (await readdir(folder)).filter((name) => !name.startsWith(UPLOADING_PREFIX));
    const entries: TProjectFile[] = [];
    for (const name of names) {
      const info = await lstat(path.join(folder, name)).catch(() => null);
      // Sockets, pipes and devices are no files to browse.
      if (info && (info.isFile() || info.isDirectory() || info.isSymbolicLink()))
        entries.push(toEntry(parts, name, info));
    }
    entries.sort((a, b) =>
      a.kind === "folder" && b.kind !== "folder"
        ? -1
        : b.kind === "folder" && a.kind !== "folder"
          ? 1
          : a.name.localeCompare(b.name),
    );
    return { path: parts.join("/"), entries };
  } finally {
    await handle.close();
  }
}

/** Opens a file of the project for download: its bytes as a stream, its size and name. */
export async function openProjectFile(
  storageRoot: string,
  projectId: string,
  relative: string,
): Promise<{ stream: ReadableStream<Uint8Array>; sizeBytes: number; name: string }> {
  const parts = parseProjectPath(relative);
  if (parts.length === 0) throw new AppError("bad_request", "Name a file to download (?path=folder/file).");
  const realRoot = await projectRoot(storageRoot, projectId);
  const real = await resolveExisting(realRoot, parts);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw missing(relative);
  }
  try {
    await assertDescriptorInside(realRoot, handle);
    const info = await handle.stat();
    if (!info.isFile())
      throw new AppError("bad_request", `'${parts.join("/").slice(0, 200)}' is a folder, not a file.`);
    const stream = Readable.toWeb(handle.createReadStream({ autoClose: true })) as ReadableStream<Uint8Array>;
    return { stream, sizeBytes: info.size, name: parts.at(-1) ?? "file" };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Streams an upload into a folder of the project (never held in memory), through a temporary
 * file renamed into place when complete. An existing entry of that name is kept unless
 * `overwrite` (then a file is replaced; a folder never is).
 * @throws AppError 413 above `maxBytes` (nothing is left behind), 409 when the name is taken.
 */
export async function uploadProjectFile(
  storageRoot: string,
  projectId: string,
  input: {
    folder: string;
    name: string;
    body: ReadableStream<Uint8Array> | null;
    maxBytes: number;
    overwrite: boolean;
  },
): Promise<TProjectFile> {
  const parts = parseProjectPath(input.folder);
  const name = ZEntryName.parse(input.name);
  if (!input.body)
    throw new AppError("bad_request", "The request has no body: send the file's bytes as the body.");
  const realRoot = await projectRoot(storageRoot, projectId);
  const owner = await ownerOf(realRoot);
  const folder = await openFolder(realRoot, parts);
  const base = `/proc/self/fd/${folder.fd}`;
  const temporary = path.join(base, `${UPLOADING_PREFIX}${randomBytes(6).toString("hex")}`);
  const target = path.join(base, name);
  try {
    const existing = await lstat(target).catch(() => null);
    if (existing && (!input.overwrite || !existing.isFile())) {
      throw new AppError(
        "conflict",
        existing.isFile()
          ? `A file named '${name}' is already there; delete it first or upload with overwrite.`
          : `A folder or link named '${name}' is already there; choose another name.`,
      );
    }
    let size = 0;
    const limiter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > input.maxBytes) {
          callback(
            new AppError(
              "payload_too_large",
              `The file is larger than the upload limit of ${Math.floor(input.maxBytes / 1_000_000)} MB.`,
            ),
          );
          return;
        }
        callback(null, chunk);
      },
    });
    const source = Readable.fromWeb(input.body as TWebReadableStream<Uint8Array>);
    try {
      await pipeline(source, limiter, createWriteStream(temporary, { flags: "wx", mode: 0o644 }));
      if (owner) await lchown(temporary, owner.uid, owner.gid);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return toEntry(parts, name, await lstat(target));
  } finally {
    await folder.close();
  }
}

/** Makes a folder inside a folder of the project. @throws AppError 409 when the name is taken. */
export async function createProjectFolder(
  storageRoot: string,
  projectId: string,
  input: { folder: string; name: string },
): Promise<TProjectFile> {
  const parts = parseProjectPath(input.folder);
  const name = ZEntryName.parse(input.name);
  const realRoot = await projectRoot(storageRoot, projectId);
  const owner = await ownerOf(realRoot);
  const folder = await openFolder(realRoot, parts);
  const target = path.join(`/proc/self/fd/${folder.fd}`, name);
  try {
    try {
      await mkdir(target, { mode: 0o755 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST")
        throw new AppError("conflict", `Something named '${name}' is already there; choose another name.`);
      throw error;
    }
    // lchown: if the kernel swapped the new folder for a link meanwhile, only the link changes.
    if (owner) await lchown(target, owner.uid, owner.gid);
    return toEntry(parts, name, await lstat(target));
  } finally {
    await folder.close();
  }
}

/**
 * Runs `rm -rf -- name` in `folder` as `owner`, so its reach is what the project's own code has.
 * The child changes into the folder before it drops to `owner` (the project's user may not be
 * able to walk the path to Flint's data folder).
 */
function removeAs(folder: string, name: string, owner: { uid: number; gid: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("rm", ["-rf", "--", name], {
      cwd: folder,
      uid: owner.uid,
      gid: owner.gid,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`rm exited with ${code}: ${stderr.trim().slice(0, 300)}`)),
    );
  });
}

/**
 * Deletes a file, link or folder (with everything in it) of the project. A link is removed
 * itself, never what it points to.
 */
export async function deleteProjectEntry(
  storageRoot: string,
  projectId: string,
  relative: string,
): Promise<void> {
  const parts = parseProjectPath(relative);
  const name = parts.at(-1);
  if (!name)
    throw new AppError("bad_request", "The project's folder itself cannot be deleted; name an entry in it.");
  const realRoot = await projectRoot(storageRoot, projectId);
  const folder = await openFolder(realRoot, parts.slice(0, -1));
  try {
    const target = path.join(`/proc/self/fd/${folder.fd}`, name);
    const info = await lstat(target).catch(() => null);
    if (!info) throw missing(relative);
    const realParent = await readlink(`/proc/self/fd/${folder.fd}`);
    const owner = await ownerOf(realRoot);
    // The child works from the real path (it cannot use this process's descriptors); as the
    // project's user, a folder swapped for a link meanwhile leads nowhere it could not go itself.
    // Entries Flint made as root before the project's first kernel (which then took the folder)
    // are root's: the project's user cannot remove them, and no kernel can write inside them.
    if (owner && info.uid !== 0) await removeAs(realParent, name, owner);
    else await rm(target, { recursive: true, force: true });
  } finally {
    await folder.close();
  }
}
