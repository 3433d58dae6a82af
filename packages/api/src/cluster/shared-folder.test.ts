// The projects folder check (docs/deployment.md, "Project files") on a real database and real
// folders: servers registered on one database with one projects folder report it shared; a server
// with a folder of its own makes /api/health say "not shared" on every side (and degraded to
// anyone), until it stops.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createApi, type TApi } from "../index.js";
import { createToken } from "../tokens.js";
import { newServerId, registerServer, type TServerIdentity } from "./server-registry.js";
import { checkProjectsFolder, writeServerMarker } from "./shared-folder.js";

const ORIGIN = "http://localhost:3999";
const LEASE_MS = 15_000;
let prisma: PrismaClient;
let closeDb: () => Promise<void>;
let adminToken: string;
const stops: (() => Promise<void>)[] = [];

type TServer = { api: TApi; identity: TServerIdentity; removeMarker: () => Promise<void> };

/** A server as start.ts makes one: marker, registration, and an API that checks the folder. */
async function startServer(name: string, projectsDir: string): Promise<TServer> {
  const config = loadConfig({
    FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-folder-data-")),
    FLINT_PROJECTS_DIR: projectsDir,
    FLINT_SERVER_NAME: name,
    FLINT_AUTH_RATE_LIMIT: "off",
    PORT: "3999",
  });
  const id = newServerId();
  const removeMarker = await writeServerMarker(config.storageRoot, id, name);
  const identity = await registerServer(prisma, {
    id,
    name,
    internalUrl: `http://${name}.internal:3000`,
    leaseMs: LEASE_MS,
    log: () => undefined,
  });
  const api = createApi({
    config,
    prisma,
    isEmbeddedDb: true,
    serverId: id,
    checkProjectsFolder: () =>
      checkProjectsFolder(prisma, { storageRoot: config.storageRoot, leaseMs: LEASE_MS }),
  });
  const server = { api, identity, removeMarker };
  stops.push(() => stopServer(server));
  return server;
}

async function stopServer(server: TServer): Promise<void> {
  await server.api.stop();
  await server.identity.stop();
  await server.removeMarker();
}

async function health(server: TServer, asAdmin = true): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = asAdmin ? { authorization: `Bearer ${adminToken}` } : {};
  const response = await server.api.handle(new Request(`${ORIGIN}/api/health`, { headers }));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = db.prisma;
  closeDb = db.close;
  const user = await prisma.user.create({
    data: {
      id: `admin-${Date.now()}`,
      email: `admin-${Date.now()}@example.test`,
      name: "Admin",
      isAdmin: true,
    },
  });
  adminToken = (await createToken(prisma, user.id, "test")).secret;
});

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  await closeDb?.();
});

describe("the projects folder of several servers", () => {
  it("is reported shared when every server uses one folder, and not shared when one has its own", async () => {
    const shared = mkdtempSync(path.join(os.tmpdir(), "flint-projects-shared-"));
    const a = await startServer("web-a", shared);
    const b = await startServer("web-b", shared);
    expect(await health(a)).toMatchObject({ status: "ok", projectsFolder: { status: "shared", servers: 2 } });
    expect(await health(b)).toMatchObject({ status: "ok", projectsFolder: { status: "shared", servers: 2 } });

    // A third server with a local folder of its own: every side can tell.
    const c = await startServer("web-c", mkdtempSync(path.join(os.tmpdir(), "flint-projects-local-")));
    expect(await health(a)).toMatchObject({
      status: "degraded",
      projectsFolder: { status: "not shared", servers: 3, missing: ["web-c"] },
    });
    expect(await health(c)).toMatchObject({
      status: "degraded",
      projectsFolder: { status: "not shared", missing: ["web-a", "web-b"] },
    });
    expect(String(((await health(c)).projectsFolder as { detail: string }).detail)).toContain(
      "FLINT_PROJECTS_DIR",
    );
    // Anyone sees that something is wrong, and no more.
    expect(await health(a, false)).toEqual({ status: "degraded" });

    // Once it stops, the others are whole again.
    await stopServer(c);
    expect(await health(a)).toMatchObject({ status: "ok", projectsFolder: { status: "shared", servers: 2 } });
  });

  it("refuses FLINT_PROJECTS_DIR other than the folder of file storage", () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "flint-files-"));
    const env = { FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-folder-data-")), PORT: "3999" };
    expect(() =>
      loadConfig({ ...env, FLINT_STORAGE_URL: `file://${folder}`, FLINT_PROJECTS_DIR: "/somewhere/else" }),
    ).toThrow(/FLINT_PROJECTS_DIR/);
    expect(
      loadConfig({ ...env, FLINT_STORAGE_URL: `file://${folder}`, FLINT_PROJECTS_DIR: folder }).storageRoot,
    ).toBe(folder);
    expect(loadConfig({ ...env, FLINT_PROJECTS_DIR: folder }).storageRoot).toBe(folder);
  });
});
