/**
 * Whether the web servers on one database see one projects folder (docs/deployment.md, "Project
 * files"). The Files tab and kernels' working folders are plain files under `<storage root>/projects`:
 * with several servers that folder must be one shared file system (NFS, EFS...), or a file uploaded
 * through one server is missing on the next, and a notebook moved to another server (its lease)
 * runs in a folder without its files. Nothing else would notice: each server's folder works alone.
 *
 * So each server writes a marker, `<root>/.flint-servers/<serverId>`, before it registers (so any
 * server listed in `flint_server` has written its marker already), and the check looks for the
 * markers of every live server in its own folder. A marker it cannot see means that server writes
 * somewhere else. Markers of stopped servers are removed on a clean stop and ignored otherwise.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PrismaClient } from "@flint/db";
import { DB_NOW } from "./server-registry.js";

/** The markers' folder under the storage root (not a valid project id, so never a project). */
export const SERVER_MARKERS_DIR = ".flint-servers";

/** What `/api/health` reports about the projects folder. */
export type TProjectsFolderHealth = {
  /** `shared`: every live server's marker is here; `not shared`: some are missing. */
  status: "shared" | "not shared";
  /** Live servers on the database, this one included. */
  servers: number;
  /** The names of live servers whose marker this server cannot see. */
  missing?: string[];
  detail?: string;
};

/**
 * Writes this server's marker into the projects folder (creating the folder). Call it before
 * {@link registerServer} with the id it will register under.
 * @returns a function that removes the marker (a clean stop).
 */
export async function writeServerMarker(
  storageRoot: string,
  serverId: string,
  serverName: string,
): Promise<() => Promise<void>> {
  const folder = path.join(storageRoot, SERVER_MARKERS_DIR);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, serverId);
  await writeFile(file, `${JSON.stringify({ name: serverName, writtenAt: new Date().toISOString() })}\n`);
  return () => rm(file, { force: true });
}

/**
 * Compares the live servers (heartbeat within `leaseMs`) with the markers this server sees in its
 * projects folder.
 */
export async function checkProjectsFolder(
  prisma: PrismaClient,
  options: { storageRoot: string; leaseMs: number },
): Promise<TProjectsFolderHealth> {
  const live = await prisma.$queryRawUnsafe<{ id: string; name: string }[]>(
    `SELECT id, name FROM flint_server WHERE "heartbeatAt" >= ${DB_NOW} - make_interval(secs => $1) ORDER BY name`,
    options.leaseMs / 1000,
  );
  const seen = new Set(
    await readdir(path.join(options.storageRoot, SERVER_MARKERS_DIR)).catch(() => [] as string[]),
  );
  const missing = live.filter((server) => !seen.has(server.id)).map((server) => server.name);
  if (missing.length === 0) return { status: "shared", servers: live.length };
  return {
    status: "not shared",
    servers: live.length,
    missing,
    detail: `The projects folder (${options.storageRoot}) is not the one ${missing.join(", ")} use${missing.length === 1 ? "s" : ""}: put it on a file system every server mounts (FLINT_STORAGE_URL=file://... or FLINT_PROJECTS_DIR), or files uploaded through one server are missing on the others.`,
  };
}
