// The role × endpoint table (SECURITY.md cases 15, 17, 20): every /api route, called by a viewer,
// runner, editor, admin, a non-member, a site administrator (who is no member of the project)
// and an anonymous visitor, answers exactly what this table says. The table is written by hand, independently of permissions.ts, so a wrong entry there
// fails here. A new route without a row fails the completeness check.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createAsset, projectStorageDir } from "@flint/catalog";
import { Prisma } from "@flint/db";
import { outputSpoolDir, outputSpoolPath } from "@flint/kernel";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDeploymentKey } from "./services/deployment-keys.js";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

type TWho = "viewer" | "runner" | "editor" | "admin" | "outsider" | "siteAdmin" | "anonymous";
type TNeed = "anyone" | "user" | "viewer" | "runner" | "editor" | "admin" | "siteAdmin" | "deploymentKey";
type TRequest = {
  method: string;
  url: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
};

const WHO: TWho[] = ["viewer", "runner", "editor", "admin", "outsider", "siteAdmin", "anonymous"];
const RANK: Record<string, number> = { viewer: 1, runner: 2, editor: 3, admin: 4 };

let t: TTestApi;
const users = {} as Record<Exclude<TWho, "anonymous">, TTestUser>;
const ownProject = {} as Record<Exclude<TWho, "anonymous">, string>;
let projectId: string;
let notebookId: string;
let chartId: string;
let threadId: string;
let checkpointId: string;
let jobId: string;
let jobRunId: string;
const ipynb = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ id: "c1", cell_type: "code", source: "1+1", metadata: {}, outputs: [], execution_count: null }],
};
const spec = { mark: "point", data: { values: [] } };

async function freshUser(label: string): Promise<TTestUser> {
  return await t.signUp(label);
}

async function freshMember(role: string): Promise<TTestUser> {
  const user = await freshUser("Member");
  await t.prisma.projectMember.create({ data: { projectId, userId: user.id, role: role as "viewer" } });
  return user;
}

async function currentVersion(): Promise<number> {
  return (await t.prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select: { version: true } }))
    .version;
}

/** Catalog fixtures in P1 (an asset, a connection to this test's own database and a table asset), made once. */
let catalogFixture:
  | Promise<{ assetName: string; assetId: string; connectionId: string; tableAssetId: string }>
  | undefined;
function catalogFixtures() {
  catalogFixture ??= (async () => {
    const assetName = "access_sales";
    const assetId = await createAsset(t.prisma, {
      projectId,
      name: assetName,
      qualifiedName: "files/uploads/access_sales.csv",
      kind: "file",
      format: "csv",
      location: "uploads/access_sales.csv",
      ownerId: users.admin.id,
      columns: [{ name: "amount", dataType: "double" }],
    });
    const uploads = path.join(projectStorageDir(t.config.storageRoot, projectId), "uploads");
    mkdirSync(uploads, { recursive: true });
    writeFileSync(path.join(uploads, "access_sales.csv"), "amount\n1.5\n");
    const server = new URL(inject("flintTestDatabaseUrl"));
    const database = await currentDatabase();
    await t.prisma.$executeRawUnsafe("create table if not exists public.catalog_access_source (id int)");
    const connection = await t.call("POST", "/api/v1/catalog/connections", {
      as: users.admin,
      via: "token",
      json: connectionRequest(server, database, "fixture"),
    });
    const connectionId = connection.body.id as string;
    const tableAssetId = await createAsset(t.prisma, {
      projectId,
      name: "access_source",
      qualifiedName: "postgresql://test/access_source",
      kind: "table",
      format: "jdbc",
      location: "public.catalog_access_source",
      connectionId,
      ownerId: users.admin.id,
    });
    return { assetName, assetId, connectionId, tableAssetId };
  })();
  return catalogFixture;
}

async function currentDatabase(): Promise<string> {
  const rows = await t.prisma.$queryRawUnsafe<{ name: string }[]>("select current_database()::text as name");
  return rows[0]!.name;
}

function connectionRequest(server: URL, database: string, name: string) {
  return {
    projectId,
    name,
    host: server.hostname,
    port: Number(server.port),
    database,
    username: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
  };
}

/** A deployment of P1 (a row only: no process runs in this test), made once. */
let deploymentRow: Promise<{ id: string; name: string }> | undefined;
function deploymentFixture() {
  deploymentRow ??= t.prisma.deployment.create({
    data: {
      name: "access-fixture",
      projectId,
      modelName: "m",
      modelVersion: "1",
      createdById: users.admin.id,
    },
    select: { id: true, name: true },
  });
  return deploymentRow;
}

/** A batch scoring run of P1 (a row only: no job runs in this test), made once. */
let batchScoreRow: Promise<{ id: string }> | undefined;
function batchScoreFixture() {
  batchScoreRow ??= t.prisma.batchScore.create({
    data: {
      projectId,
      modelName: "m",
      modelVersion: "1",
      scoredVersion: "1",
      flavor: "pyfunc",
      inputAssetId: "no-such-asset",
      outputName: "scored",
      state: "failed",
      createdById: users.admin.id,
    },
    select: { id: true },
  });
  return batchScoreRow;
}

/** A deployment of P1 made for one call of the delete route. */
async function disposableDeployment() {
  return await t.prisma.deployment.create({
    data: {
      name: uniqueName("gone").replace("_", "-"),
      projectId,
      modelName: "m",
      modelVersion: "1",
      createdById: users.admin.id,
    },
    select: { id: true, name: true },
  });
}

let uniqueCounter = 0;
/** A name no earlier request used (each allowed caller creates something). */
/** A notebook of P1 made for one call of a trash route (already in the trash when `isTrashed`). */
async function disposableNotebook(isTrashed: boolean): Promise<string> {
  const row = await t.prisma.notebook.create({
    data: {
      projectId,
      name: uniqueName("disposable"),
      createdById: users.admin.id,
      cells: [],
      metadata: {},
      deletedAt: isTrashed ? new Date() : null,
    },
  });
  return row.id;
}

function uniqueName(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}_${uniqueCounter}`;
}

/** One row per route: what it needs, and how to make a request that succeeds for anyone allowed. */
const TABLE: Record<string, { need: TNeed; make: (who: TWho) => Promise<TRequest>; alsoOk?: number[] }> = {
  "GET /api/health": { need: "anyone", make: async () => ({ method: "GET", url: "/api/health" }) },
  "GET /api/v1/openapi.json": {
    need: "anyone",
    make: async () => ({ method: "GET", url: "/api/v1/openapi.json" }),
  },
  "GET /api/v1/community": {
    need: "anyone",
    make: async () => ({ method: "GET", url: "/api/v1/community?q=x" }),
  },
  "GET /api/v1/me": { need: "user", make: async () => ({ method: "GET", url: "/api/v1/me" }) },
  "GET /api/v1/signup": {
    need: "anyone",
    make: async () => ({ method: "GET", url: "/api/v1/signup?invite=unknown" }),
  },
  "GET /api/v1/admin/users": {
    need: "siteAdmin",
    make: async () => ({ method: "GET", url: "/api/v1/admin/users" }),
  },
  "PATCH /api/v1/admin/users/{id}": {
    need: "siteAdmin",
    make: async () => ({
      method: "PATCH",
      url: `/api/v1/admin/users/${(await freshUser("Disposable")).id}`,
      json: { disabled: true },
    }),
  },
  "GET /api/v1/admin/invitations": {
    need: "siteAdmin",
    make: async () => ({ method: "GET", url: "/api/v1/admin/invitations" }),
  },
  "POST /api/v1/admin/invitations": {
    need: "siteAdmin",
    make: async () => ({
      method: "POST",
      url: "/api/v1/admin/invitations",
      json: { email: `${uniqueName("guest")}@example.test` },
    }),
  },
  "DELETE /api/v1/admin/invitations/{id}": {
    need: "siteAdmin",
    make: async () => {
      const invitation = await t.prisma.invitation.create({
        data: {
          email: `${uniqueName("pending")}@example.test`,
          tokenHash: uniqueName("hash"),
          createdById: users.siteAdmin.id,
          expiresAt: new Date(Date.now() + 86_400_000),
        },
      });
      return { method: "DELETE", url: `/api/v1/admin/invitations/${invitation.id}` };
    },
  },
  "GET /api/v1/me/activity": {
    need: "user",
    make: async () => ({ method: "GET", url: "/api/v1/me/activity" }),
  },
  "GET /api/v1/me/preferences": {
    need: "user",
    make: async () => ({ method: "GET", url: "/api/v1/me/preferences" }),
  },
  "PATCH /api/v1/me/preferences": {
    need: "user",
    make: async () => ({ method: "PATCH", url: "/api/v1/me/preferences", json: { theme: "dark" } }),
  },
  "GET /api/v1/tokens": { need: "user", make: async () => ({ method: "GET", url: "/api/v1/tokens" }) },
  "POST /api/v1/tokens": {
    need: "user",
    make: async () => ({ method: "POST", url: "/api/v1/tokens", json: { name: "t", scope: "read" } }),
  },
  "DELETE /api/v1/tokens/{id}": {
    need: "user",
    make: async (who) => {
      const owner = who === "anonymous" ? users.admin : users[who];
      const token = await t.prisma.apiToken.create({
        data: { userId: owner.id, name: "x", tokenHash: `h-${Math.random()}`, prefix: "p" },
      });
      return { method: "DELETE", url: `/api/v1/tokens/${token.id}` };
    },
  },
  "GET /api/v1/notifications": {
    need: "user",
    make: async () => ({ method: "GET", url: "/api/v1/notifications" }),
  },
  "POST /api/v1/notifications/read": {
    need: "user",
    make: async () => ({ method: "POST", url: "/api/v1/notifications/read", json: {} }),
  },
  "GET /api/v1/projects": { need: "user", make: async () => ({ method: "GET", url: "/api/v1/projects" }) },
  "POST /api/v1/projects": {
    need: "user",
    make: async () => ({ method: "POST", url: "/api/v1/projects", json: { name: "p" } }),
  },
  "GET /api/v1/projects/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}` }),
  },
  "PATCH /api/v1/projects/{id}": {
    need: "admin",
    make: async () => ({ method: "PATCH", url: `/api/v1/projects/${projectId}`, json: { description: "d" } }),
  },
  "GET /api/v1/projects/{id}/members": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/members` }),
  },
  "POST /api/v1/projects/{id}/members": {
    need: "admin",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/members`,
      json: { email: (await freshUser("Invitee")).email, role: "viewer" },
    }),
  },
  "PATCH /api/v1/projects/{id}/members/{userId}": {
    need: "admin",
    make: async () => ({
      method: "PATCH",
      url: `/api/v1/projects/${projectId}/members/${(await freshMember("viewer")).id}`,
      json: { role: "editor" },
    }),
  },
  "DELETE /api/v1/projects/{id}/members/{userId}": {
    need: "admin",
    make: async () => ({
      method: "DELETE",
      url: `/api/v1/projects/${projectId}/members/${(await freshMember("viewer")).id}`,
    }),
  },
  "GET /api/v1/projects/{id}/activity": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/activity` }),
  },
  "GET /api/v1/projects/{id}/notebooks": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/notebooks` }),
  },
  "POST /api/v1/projects/{id}/notebooks": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/notebooks`,
      json: { name: "n" },
    }),
  },
  "POST /api/v1/projects/{id}/notebooks/import": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/notebooks/import`,
      body: JSON.stringify(ipynb),
      headers: { "content-type": "application/x-ipynb+json" },
    }),
  },
  "GET /api/v1/notebooks/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/notebooks/${notebookId}` }),
  },
  "PUT /api/v1/notebooks/{id}": {
    need: "editor",
    make: async () => ({
      method: "PUT",
      url: `/api/v1/notebooks/${notebookId}`,
      json: { version: await currentVersion(), notebook: ipynb },
    }),
  },
  "PATCH /api/v1/notebooks/{id}": {
    need: "editor",
    make: async () => ({
      method: "PATCH",
      url: `/api/v1/notebooks/${notebookId}`,
      json: { name: uniqueName("N") },
    }),
  },
  "POST /api/v1/notebooks/{id}/duplicate": {
    need: "editor",
    make: async () => ({ method: "POST", url: `/api/v1/notebooks/${notebookId}/duplicate`, json: {} }),
  },
  // Trash routes act on a fresh notebook each call, so N1 stays for the other rows.
  "DELETE /api/v1/notebooks/{id}": {
    need: "editor",
    make: async () => ({ method: "DELETE", url: `/api/v1/notebooks/${await disposableNotebook(false)}` }),
  },
  "POST /api/v1/notebooks/{id}/restore": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/notebooks/${await disposableNotebook(true)}/restore`,
    }),
  },
  "DELETE /api/v1/notebooks/{id}/forever": {
    need: "editor",
    make: async () => ({
      method: "DELETE",
      url: `/api/v1/notebooks/${await disposableNotebook(true)}/forever`,
    }),
  },
  "GET /api/v1/projects/{id}/trash": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/trash` }),
  },
  "GET /api/v1/projects/{id}/files": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/files` }),
  },
  "GET /api/v1/projects/{id}/files/download": {
    need: "viewer",
    make: async () => {
      const folder = projectStorageDir(t.config.storageRoot, projectId);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, "readme.txt"), "hello\n");
      return { method: "GET", url: `/api/v1/projects/${projectId}/files/download?path=readme.txt` };
    },
  },
  "POST /api/v1/projects/{id}/files/upload": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/files/upload?name=${uniqueName("up")}.txt`,
      body: "a,b\n1,2\n",
      headers: { "content-type": "application/octet-stream" },
    }),
  },
  "POST /api/v1/projects/{id}/files/folders": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/files/folders`,
      json: { path: "", name: uniqueName("folder") },
    }),
  },
  "DELETE /api/v1/projects/{id}/files": {
    need: "editor",
    make: async () => {
      const name = uniqueName("doomed");
      const folder = projectStorageDir(t.config.storageRoot, projectId);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, name), "x");
      return { method: "DELETE", url: `/api/v1/projects/${projectId}/files?path=${name}` };
    },
  },
  // No kernel runtime is attached in this test: a caller who passes authorization gets 503.
  "POST /api/v1/notebooks/{id}/run": {
    need: "runner",
    alsoOk: [503],
    make: async () => ({
      method: "POST",
      url: `/api/v1/notebooks/${notebookId}/run`,
      json: { cellIds: ["c1"] },
    }),
  },
  // Choosing the kernel: runners and up (no kernel runtime here, so nothing restarts).
  "PUT /api/v1/notebooks/{id}/kernel": {
    need: "runner",
    make: async () => ({
      method: "PUT",
      url: `/api/v1/notebooks/${notebookId}/kernel`,
      json: { name: "flint-spark-dedicated" },
    }),
  },
  // The shared Spark: no kernel runtime here either, so a caller who passes gets 503.
  // Models (docs/models.md). This API has no MLflow server attached, so callers let through get
  // 503; what a viewer may not write through the proxy is checked against a real MLflow in
  // apps/web/src/server/models.test.ts.
  ...Object.fromEntries(
    (["GET", "POST", "PUT", "PATCH", "DELETE"] as const).map((method) => [
      `${method} /api/v1/projects/{id}/mlflow/{path+}`,
      {
        need: "viewer" as const,
        alsoOk: [503],
        make: async () => ({
          method,
          url: `/api/v1/projects/${projectId}/mlflow/api/2.0/mlflow/experiments/search`,
          ...(method === "GET" ? {} : { json: {} }),
        }),
      },
    ]),
  ),
  "GET /api/v1/projects/{id}/models/runs": {
    need: "viewer",
    alsoOk: [503],
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/models/runs` }),
  },
  "GET /api/v1/projects/{id}/models/runs/{runId}/metrics": {
    need: "viewer",
    alsoOk: [503],
    make: async () => ({
      method: "GET",
      url: `/api/v1/projects/${projectId}/models/runs/${"0".repeat(32)}/metrics`,
    }),
  },
  "GET /api/v1/projects/{id}/models/registered": {
    need: "viewer",
    alsoOk: [503],
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/models/registered` }),
  },
  // Deployments (docs/models.md). No MLflow server or scoring processes here: a caller who passes
  // authorization gets 503 where the route needs them; apps/web/src/server/deployments.test.ts
  // runs them for real.
  "GET /api/v1/projects/{id}/deployments": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/deployments` }),
  },
  "POST /api/v1/projects/{id}/deployments": {
    need: "editor",
    alsoOk: [503],
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/deployments`,
      json: { name: uniqueName("deploy").replace("_", "-"), modelName: "m", alias: "champion" },
    }),
  },
  "GET /api/v1/projects/{id}/deployments/{name}": {
    need: "viewer",
    make: async () => ({
      method: "GET",
      url: `/api/v1/projects/${projectId}/deployments/${(await deploymentFixture()).name}`,
    }),
  },
  "PATCH /api/v1/projects/{id}/deployments/{name}": {
    need: "editor",
    alsoOk: [503],
    make: async () => ({
      method: "PATCH",
      url: `/api/v1/projects/${projectId}/deployments/${(await deploymentFixture()).name}`,
      json: { modelName: "m", version: "2" },
    }),
  },
  "DELETE /api/v1/projects/{id}/deployments/{name}": {
    need: "editor",
    make: async () => ({
      method: "DELETE",
      url: `/api/v1/projects/${projectId}/deployments/${(await disposableDeployment()).name}`,
    }),
  },
  "POST /api/v1/projects/{id}/deployments/{name}/keys": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/deployments/${(await deploymentFixture()).name}/keys`,
      json: { name: "app" },
    }),
  },
  "DELETE /api/v1/projects/{id}/deployments/{name}/keys/{keyId}": {
    need: "editor",
    make: async () => {
      const { id, name } = await deploymentFixture();
      const key = await createDeploymentKey(t.prisma, id, "disposable", users.admin.id);
      return {
        method: "DELETE",
        url: `/api/v1/projects/${projectId}/deployments/${name}/keys/${key.key.id}`,
      };
    },
  },
  // Batch scoring (docs/models.md): runners and up start one (503 here: no MLflow server, no
  // kernels); members read. apps/web/src/server/batch-scores.test.ts runs them for real.
  "POST /api/v1/projects/{id}/models/batch-scores": {
    need: "runner",
    alsoOk: [503],
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/models/batch-scores`,
      json: { modelName: "m", alias: "champion", assetId: "a1", outputName: uniqueName("scored") },
    }),
  },
  "GET /api/v1/projects/{id}/models/batch-scores": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/models/batch-scores` }),
  },
  "GET /api/v1/projects/{id}/models/batch-scores/{runId}": {
    need: "viewer",
    make: async () => ({
      method: "GET",
      url: `/api/v1/projects/${projectId}/models/batch-scores/${(await batchScoreFixture()).id}`,
    }),
  },
  // Only a deployment key opens it: every person's own token gets 401 (keyed calls are tested below).
  "POST /api/v1/deployments/{name}/predict": {
    need: "deploymentKey",
    make: async () => ({
      method: "POST",
      url: `/api/v1/deployments/${(await deploymentFixture()).name}/predict`,
      json: { rows: [{ x: 1 }] },
    }),
  },
  "POST /api/v1/notebooks/{id}/spark-connect": {
    need: "runner",
    alsoOk: [503],
    make: async () => ({ method: "POST", url: `/api/v1/notebooks/${notebookId}/spark-connect` }),
  },
  "GET /api/v1/notebooks/{id}/export": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/notebooks/${notebookId}/export` }),
  },
  // Members read the published snapshot too (the community page shows it to everyone); the table
  // runs with nothing published, so it is published for them first. Outsiders and site
  // administrators (no members) meet an unpublished one.
  "GET /api/v1/notebooks/{id}/published": {
    need: "viewer",
    make: async (who) => {
      if (who in RANK) {
        await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: users.admin, via: "token" });
      }
      return { method: "GET", url: `/api/v1/notebooks/${notebookId}/published` };
    },
  },
  "GET /api/v1/notebooks/{id}/cells/{cellId}/output": {
    need: "viewer",
    make: async () => {
      // A run over the cap left its full output (as the broker writes it).
      const file = outputSpoolPath(outputSpoolDir(t.config.dataDir), notebookId, "c1");
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, "all of it\n");
      return { method: "GET", url: `/api/v1/notebooks/${notebookId}/cells/c1/output` };
    },
  },
  "GET /api/v1/notebooks/{id}/checkpoints": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/notebooks/${notebookId}/checkpoints` }),
  },
  "POST /api/v1/notebooks/{id}/checkpoints": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/notebooks/${notebookId}/checkpoints`,
      json: { name: "k" },
    }),
  },
  "POST /api/v1/notebooks/{id}/checkpoints/{checkpointId}/restore": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/notebooks/${notebookId}/checkpoints/${checkpointId}/restore`,
      json: { version: await currentVersion() },
    }),
  },
  "GET /api/v1/notebooks/{id}/comments": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/notebooks/${notebookId}/comments` }),
  },
  "POST /api/v1/notebooks/{id}/comments": {
    need: "viewer",
    make: async () => ({
      method: "POST",
      url: `/api/v1/notebooks/${notebookId}/comments`,
      json: { cellId: "c1", body: "hi" },
    }),
  },
  "PATCH /api/v1/comments/{id}": {
    need: "viewer",
    make: async () => ({ method: "PATCH", url: `/api/v1/comments/${threadId}`, json: { resolved: true } }),
  },
  "POST /api/v1/notebooks/{id}/publish": {
    need: "admin",
    make: async () => ({ method: "POST", url: `/api/v1/notebooks/${notebookId}/publish` }),
  },
  "DELETE /api/v1/notebooks/{id}/publish": {
    need: "admin",
    make: async () => ({ method: "DELETE", url: `/api/v1/notebooks/${notebookId}/publish` }),
  },
  "GET /api/v1/notebooks/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/notebooks/${notebookId}/star` }),
  },
  "POST /api/v1/notebooks/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "POST", url: `/api/v1/notebooks/${notebookId}/star` }),
  },
  "DELETE /api/v1/notebooks/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "DELETE", url: `/api/v1/notebooks/${notebookId}/star` }),
  },
  "POST /api/v1/notebooks/{id}/fork": {
    need: "viewer",
    make: async (who) => ({
      method: "POST",
      url: `/api/v1/notebooks/${notebookId}/fork`,
      json: { projectId: who === "anonymous" ? projectId : ownProject[who] },
    }),
  },
  "GET /api/v1/projects/{id}/charts": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/charts` }),
  },
  "POST /api/v1/projects/{id}/charts": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/projects/${projectId}/charts`,
      json: { title: "c", spec },
    }),
  },
  "GET /api/v1/charts/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/charts/${chartId}` }),
  },
  "PATCH /api/v1/charts/{id}": {
    need: "editor",
    make: async () => ({ method: "PATCH", url: `/api/v1/charts/${chartId}`, json: { pinned: true } }),
  },
  "GET /api/v1/charts/{id}/comments": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/charts/${chartId}/comments` }),
  },
  "POST /api/v1/charts/{id}/comments": {
    need: "viewer",
    make: async () => ({ method: "POST", url: `/api/v1/charts/${chartId}/comments`, json: { body: "nice" } }),
  },
  "POST /api/v1/charts/{id}/publish": {
    need: "admin",
    make: async () => ({ method: "POST", url: `/api/v1/charts/${chartId}/publish` }),
  },
  "DELETE /api/v1/charts/{id}/publish": {
    need: "admin",
    make: async () => ({ method: "DELETE", url: `/api/v1/charts/${chartId}/publish` }),
  },
  "GET /api/v1/charts/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/charts/${chartId}/star` }),
  },
  "POST /api/v1/charts/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "POST", url: `/api/v1/charts/${chartId}/star` }),
  },
  "DELETE /api/v1/charts/{id}/star": {
    need: "viewer",
    make: async () => ({ method: "DELETE", url: `/api/v1/charts/${chartId}/star` }),
  },
  "GET /api/v1/catalog/search": {
    need: "user",
    make: async () => ({ method: "GET", url: "/api/v1/catalog/search?q=sales" }),
  },
  "GET /api/v1/catalog/autocomplete": {
    need: "user",
    make: async () => ({ method: "GET", url: "/api/v1/catalog/autocomplete?q=acc" }),
  },
  "GET /api/v1/catalog/assets": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/catalog/assets?projectId=${projectId}` }),
  },
  "POST /api/v1/catalog/assets": {
    need: "editor",
    make: async () => {
      const form = new FormData();
      form.append("projectId", projectId);
      form.append("name", uniqueName("upload"));
      form.append("file", new Blob(["a,b\n1,2\n"], { type: "text/csv" }), "data.csv");
      return { method: "POST", url: "/api/v1/catalog/assets", body: form };
    },
  },
  "GET /api/v1/catalog/assets/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/catalog/assets/${(await catalogFixtures()).assetId}` }),
  },
  "PATCH /api/v1/catalog/assets/{id}": {
    need: "editor",
    make: async () => ({
      method: "PATCH",
      url: `/api/v1/catalog/assets/${(await catalogFixtures()).assetId}`,
      json: { description: "Sales by day", tags: ["sales"] },
    }),
  },
  "DELETE /api/v1/catalog/assets/{id}": {
    need: "editor",
    make: async () => {
      const id = await createAsset(t.prisma, {
        projectId,
        name: uniqueName("doomed"),
        qualifiedName: `files/${uniqueName("doomed")}`,
        kind: "file",
        format: "csv",
        location: "landing/doomed.csv",
        ownerId: users.admin.id,
      });
      return { method: "DELETE", url: `/api/v1/catalog/assets/${id}` };
    },
  },
  "POST /api/v1/catalog/assets/{id}/profile": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: `/api/v1/catalog/assets/${(await catalogFixtures()).assetId}/profile`,
    }),
  },
  "GET /api/v1/catalog/assets/{id}/profile": {
    need: "viewer",
    make: async () => ({
      method: "GET",
      url: `/api/v1/catalog/assets/${(await catalogFixtures()).assetId}/profile`,
    }),
  },
  "GET /api/v1/catalog/assets/{id}/content": {
    need: "viewer",
    make: async () => ({
      method: "GET",
      url: `/api/v1/catalog/assets/${(await catalogFixtures()).assetId}/content`,
    }),
  },
  "GET /api/v1/catalog/assets/{id}/rows": {
    need: "viewer",
    make: async () => ({
      method: "GET",
      url: `/api/v1/catalog/assets/${(await catalogFixtures()).tableAssetId}/rows`,
    }),
  },
  "POST /api/v1/catalog/load": {
    need: "viewer",
    make: async () => ({
      method: "POST",
      url: "/api/v1/catalog/load",
      json: { name: (await catalogFixtures()).assetName, projectId },
    }),
  },
  "POST /api/v1/catalog/write-targets": {
    need: "editor",
    make: async () => ({
      method: "POST",
      url: "/api/v1/catalog/write-targets",
      json: { projectId, name: uniqueName("target") },
    }),
  },
  "POST /api/v1/catalog/assets/written": {
    need: "editor",
    make: async () => {
      const name = uniqueName("written");
      const target = await t.call("POST", "/api/v1/catalog/write-targets", {
        as: users.admin,
        via: "token",
        json: { projectId, name, format: "csv" },
      });
      const folder = target.body.path as string;
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, "part-00000.csv"), "a\n1\n");
      return {
        method: "POST",
        url: "/api/v1/catalog/assets/written",
        json: { projectId, name, path: target.body.relativePath, format: "csv" },
      };
    },
  },
  "POST /api/v1/catalog/assets/spark-tables": {
    need: "editor",
    make: async () => {
      const name = uniqueName("spark_table");
      return {
        method: "POST",
        url: "/api/v1/catalog/assets/spark-tables",
        json: {
          projectId,
          name,
          table: `default.${name}`,
          columns: [{ name: "id", dataType: "bigint", nullable: false }],
        },
      };
    },
  },
  "GET /api/v1/catalog/connections": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/catalog/connections?projectId=${projectId}` }),
  },
  "POST /api/v1/catalog/connections": {
    need: "editor",
    make: async () => {
      const database = await currentDatabase();
      return {
        method: "POST",
        url: "/api/v1/catalog/connections",
        json: connectionRequest(new URL(inject("flintTestDatabaseUrl")), database, uniqueName("conn")),
      };
    },
  },
  "DELETE /api/v1/catalog/connections/{id}": {
    need: "editor",
    make: async () => {
      const connection = await t.prisma.catalogConnection.create({
        data: {
          projectId,
          name: uniqueName("unused"),
          host: "127.0.0.1",
          port: 5432,
          database: "x",
          username: "x",
          passwordEncrypted: "x",
          createdById: users.admin.id,
        },
      });
      return { method: "DELETE", url: `/api/v1/catalog/connections/${connection.id}` };
    },
  },
  "GET /api/v1/catalog/connections/{id}/tables": {
    need: "editor",
    make: async () => ({
      method: "GET",
      url: `/api/v1/catalog/connections/${(await catalogFixtures()).connectionId}/tables`,
    }),
  },
  "GET /api/v1/projects/{id}/jobs": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/projects/${projectId}/jobs` }),
  },
  "POST /api/v1/jobs": {
    need: "runner",
    make: async () => ({
      method: "POST",
      url: "/api/v1/jobs",
      json: { notebookId, name: uniqueName("job"), cron: "0 6 * * *", timeZone: "Europe/Oslo" },
    }),
  },
  "GET /api/v1/jobs/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/jobs/${jobId}` }),
  },
  "PATCH /api/v1/jobs/{id}": {
    need: "runner",
    make: async (who) => ({ method: "PATCH", url: `/api/v1/jobs/${await jobOf(who)}`, json: { retries: 2 } }),
  },
  "DELETE /api/v1/jobs/{id}": {
    need: "runner",
    make: async (who) => ({ method: "DELETE", url: `/api/v1/jobs/${await jobOf(who)}` }),
  },
  "POST /api/v1/jobs/{id}/runs": {
    need: "runner",
    make: async () => ({
      method: "POST",
      url: `/api/v1/jobs/${jobId}/runs`,
      json: { parameters: { city: "Oslo" } },
    }),
  },
  "GET /api/v1/job-runs/{id}": {
    need: "viewer",
    make: async () => ({ method: "GET", url: `/api/v1/job-runs/${jobRunId}` }),
  },
};

/** A job on N1 owned by `who` when they may own one (members from runner up), else by the admin. */
async function jobOf(who: TWho): Promise<string> {
  const owner = who === "runner" || who === "editor" || who === "admin" ? users[who] : users.admin;
  return (
    await t.prisma.job.create({
      data: { projectId, notebookId, name: uniqueName("job"), ownerId: owner.id },
      select: { id: true },
    })
  ).id;
}

/** What `who` must get from a route that needs `need`: "ok" (2xx) or a status. */
function expected(need: TNeed, who: TWho): "ok" | 401 | 403 | 404 {
  if (need === "anyone") return "ok";
  if (need === "deploymentKey") return 401;
  if (who === "anonymous") return 401;
  if (need === "user") return "ok";
  if (need === "siteAdmin") return who === "siteAdmin" ? "ok" : 403;
  // Administering the site gives no rights in projects one is not a member of.
  if (who === "outsider" || who === "siteAdmin") return 404;
  return RANK[who]! >= RANK[need]! ? "ok" : 403;
}

beforeAll(async () => {
  // The connection fixtures use this test's own embedded PostgreSQL on loopback, which connections
  // reach only when the administrator allows it (case 32).
  t = await createTestApi({
    env: { FLINT_CONNECTION_ALLOW: new URL(inject("flintTestDatabaseUrl")).hostname },
  });
  for (const who of WHO) {
    if (who === "anonymous") continue;
    users[who] = await t.signUp(who);
    if (who === "siteAdmin")
      await t.prisma.user.update({ where: { id: users[who].id }, data: { isAdmin: true } });
    ownProject[who] = (
      await t.call("POST", "/api/v1/projects", {
        as: users[who],
        via: "token",
        json: { name: `${who}'s own` },
      })
    ).body.id as string;
  }
  projectId = (
    await t.call("POST", "/api/v1/projects", { as: users.admin, via: "token", json: { name: "P1" } })
  ).body.id as string;
  for (const role of ["viewer", "runner", "editor"] as const) {
    await t.call("POST", `/api/v1/projects/${projectId}/members`, {
      as: users.admin,
      via: "token",
      json: { email: users[role].email, role },
    });
  }
  notebookId = (
    await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: users.admin,
      via: "token",
      json: { name: "N1", notebook: ipynb },
    })
  ).body.id as string;
  chartId = (
    await t.call("POST", `/api/v1/projects/${projectId}/charts`, {
      as: users.admin,
      via: "token",
      json: { title: "C1", spec },
    })
  ).body.id as string;
  threadId = (
    await t.call("POST", `/api/v1/notebooks/${notebookId}/comments`, {
      as: users.admin,
      via: "token",
      json: { cellId: "c1", body: "t" },
    })
  ).body.id as string;
  checkpointId = (
    await t.call("POST", `/api/v1/notebooks/${notebookId}/checkpoints`, {
      as: users.admin,
      via: "token",
      json: { name: "k" },
    })
  ).body.id as string;
  jobId = (
    await t.call("POST", "/api/v1/jobs", { as: users.admin, via: "token", json: { notebookId, name: "J1" } })
  ).body.id as string;
  jobRunId = (await t.call("POST", `/api/v1/jobs/${jobId}/runs`, { as: users.admin, via: "token", json: {} }))
    .body.id as string;
});
afterAll(async () => t.close());

describe("role × endpoint table", () => {
  it("has a row for every API route", () => {
    const routes = t.api.routes.map((route) => `${route.method} ${route.path}`).sort();
    expect(routes.filter((route) => !(route in TABLE))).toEqual([]);
  });

  for (const [key, row] of Object.entries(TABLE)) {
    it(key, async () => {
      const failures: string[] = [];
      for (const who of WHO) {
        // Unpublish first: public reads are tested separately below.
        await t.prisma.notebook.update({
          where: { id: notebookId },
          data: {
            publishedAt: null,
            publishedName: null,
            publishedVersion: null,
            publishedSnapshot: Prisma.DbNull,
          },
        });
        await t.prisma.chart.update({ where: { id: chartId }, data: { publishedAt: null } });
        const request = await row.make(who);
        const response = await t.call(request.method, request.url, {
          ...(who === "anonymous" ? {} : { as: users[who], via: "token" as const }),
          json: request.json,
          body: request.body,
          headers: request.headers,
        });
        const want = expected(row.need, who);
        const ok =
          want === "ok"
            ? (response.status >= 200 && response.status < 300) ||
              (row.alsoOk ?? []).includes(response.status)
            : response.status === want;
        if (!ok)
          failures.push(`${who}: got ${response.status} (${response.text.slice(0, 120)}), want ${want}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it("the predict route takes a deployment key of its own deployment only, and no key after revocation", async () => {
    const { id, name } = await deploymentFixture();
    const other = await disposableDeployment();
    const { key, secret } = await createDeploymentKey(t.prisma, id, "app", users.admin.id);
    const otherKey = await createDeploymentKey(t.prisma, other.id, "app", users.admin.id);
    const predict = (deployment: string, bearer: string, json: unknown = { rows: [{ x: 1 }] }) =>
      t.call("POST", `/api/v1/deployments/${deployment}/predict`, {
        json,
        headers: { authorization: `Bearer ${bearer}` },
      });
    // Past the key check: no scoring processes in this test, so 503.
    expect((await predict(name, secret)).status).toBe(503);
    // A key is checked before the payload: without one, a bad payload is still a 401.
    expect((await predict(name, "flint_dk_unknown", { rows: "x" })).status).toBe(401);
    expect((await predict(name, secret, { rows: "x" })).status).toBe(400);
    // Another deployment's key, or an unknown deployment: 404, the same answer.
    const wrong = await predict(name, otherKey.secret);
    const unknown = await predict("no-such-deployment", secret);
    expect(wrong.status).toBe(404);
    expect(wrong.body).toEqual(unknown.body);
    // Revoked through the route (a verified key is cached): the very next call is a 401.
    const revoked = await t.call(
      "DELETE",
      `/api/v1/projects/${projectId}/deployments/${name}/keys/${key.id}`,
      {
        as: users.admin,
        via: "token",
      },
    );
    expect(revoked.status).toBe(200);
    expect((await predict(name, secret)).status).toBe(401);
  });

  it("ids of other projects answer exactly like ids that do not exist", async () => {
    const real = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { as: users.outsider, via: "token" });
    const fake = await t.call("GET", "/api/v1/notebooks/does-not-exist-1234", {
      as: users.outsider,
      via: "token",
    });
    expect(real.status).toBe(404);
    expect(real.body).toEqual(fake.body);
  });

  it("a published notebook is readable by anyone, and nothing else opens up (case 20)", async () => {
    await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: users.admin, via: "token" });
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}`)).status).toBe(200);
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}/export`)).status).toBe(200);
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}/published`)).status).toBe(200);
    for (const request of [
      { method: "PUT", url: `/api/v1/notebooks/${notebookId}`, json: { version: 1, notebook: ipynb } },
      { method: "GET", url: `/api/v1/projects/${projectId}/notebooks` },
      { method: "GET", url: `/api/v1/notebooks/${notebookId}/comments` },
      { method: "GET", url: `/api/v1/notebooks/${notebookId}/checkpoints` },
      { method: "POST", url: `/api/v1/notebooks/${notebookId}/checkpoints`, json: { name: "x" } },
      // The live notebook's full output is not part of what was published.
      { method: "GET", url: `/api/v1/notebooks/${notebookId}/cells/c1/output` },
    ]) {
      expect((await t.call(request.method, request.url, { json: request.json })).status, request.url).toBe(
        401,
      );
      const outsider = await t.call(request.method, request.url, {
        as: users.outsider,
        via: "token",
        json: request.json,
      });
      expect([403, 404], `${request.method} ${request.url}`).toContain(outsider.status);
    }
  });
});
