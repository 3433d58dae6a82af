// The data catalog end to end through the API on a real PostgreSQL and real Spark: upload a CSV,
// profile it, find it by description, column and typo; other projects learn nothing (SECURITY.md
// case 17); notebook tokens, also a fork's (it reads its source project's assets); a PostgreSQL
// connection profiled over JDBC without its password ever leaving the server.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type Catalog,
  createCatalog,
  issueNotebookToken,
  parseConnectionAllowList,
  parseSecretKey,
} from "@flint/catalog";
import { createPrismaClient } from "@flint/db";
import { findTestPythonEnv } from "@flint/kernel/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig, readOrCreateSecret } from "./config.js";
import { createRouter } from "./router.js";
import { createCatalogRoutes } from "./routes/catalog.js";
import { createTestApi, ORIGIN, type TTestApi, type TTestUser } from "./testing/test-api.js";

const MAX_UPLOAD_BYTES = 200_000;
/** Every response body seen by the test, to prove the connection password is in none. */
const seenBodies: string[] = [];

let t: TTestApi;
let catalog: Catalog;
let handle: (request: Request) => Promise<Response>;
let dataDir: string;
let alice: TTestUser;
let bob: TTestUser;
let carol: TTestUser;
let projectId: string;
let aliceOtherProjectId: string;
let carolProjectId: string;
let notebookId: string;
let csvAssetId: string;

type TBody = Record<string, unknown> & { [key: string]: unknown };

/** Calls a catalog route with a bearer token (a user's or a notebook token). */
async function call(
  method: string,
  url: string,
  options: { token?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: TBody; text: string }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const response = await handle(new Request(new URL(url, ORIGIN), { method, headers, body }));
  const text = await response.text();
  seenBodies.push(text);
  let parsed: TBody = {};
  try {
    parsed = text ? (JSON.parse(text) as TBody) : {};
  } catch {
    parsed = {};
  }
  return { status: response.status, body: parsed, text };
}

function upload(token: string, fields: Record<string, string>, file: { name: string; content: string }) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append("file", new Blob([file.content], { type: "text/csv" }), file.name);
  return call("POST", "/api/v1/catalog/assets", { token, body: form });
}

/** Waits until the asset's latest profile is done or failed. */
async function waitForProfile(assetId: string, token: string): Promise<TBody> {
  const deadline = Date.now() + 400_000;
  for (;;) {
    const { body } = await call("GET", `/api/v1/catalog/assets/${assetId}/profile`, { token });
    const profile = body.profile as TBody | null;
    if (profile && (profile.status === "done" || profile.status === "failed")) return profile;
    if (Date.now() > deadline)
      throw new Error(`profile of ${assetId} did not finish: ${JSON.stringify(profile)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Cancels profiling the test does not need, so the one Spark job slot stays free for the ones it checks. */
async function skipProfile(assetId: unknown): Promise<void> {
  await catalog.profiler.cancel(String(assetId));
}

function search(token: string, q: string) {
  return call("GET", `/api/v1/catalog/search?${new URLSearchParams({ q })}`, { token });
}

function hitNames(body: TBody): string[] {
  return (body.items as { name: string }[]).map((item) => item.name);
}

const ORDERS_CSV = [
  "order_id,customer_email,amount,region,ordered_at",
  "1,ann@example.com,10.5,north,2026-01-02",
  "2,ben@example.com,20,south,2026-01-05",
  "3,,30,north,2026-02-01",
  "4,dan@example.com,,east,2026-02-11",
  "5,eve@example.com,50,north,2026-03-01",
  "6,fay@example.com,60,south,2026-03-09",
  "7,gus@example.com,70,west,2026-04-01",
  "8,hal@example.com,80,north,2026-04-20",
  "9,ivy@example.com,90,south,2026-05-02",
  "10,jon@example.com,100,east,2026-05-30",
  "11,kim@example.com,110,north,2026-06-01",
  "12,lee@example.com,120,north,2026-06-15",
].join("\n");

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  bob = await t.signUp("Bob");
  carol = await t.signUp("Carol");
  const create = async (user: TTestUser, name: string) =>
    (await t.call("POST", "/api/v1/projects", { as: user, via: "token", json: { name } })).body.id as string;
  projectId = await create(alice, "Finance");
  aliceOtherProjectId = await create(alice, "Side project");
  carolProjectId = await create(carol, "Carol's");
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: alice,
    via: "token",
    json: { email: bob.email, role: "viewer" },
  });
  notebookId = (
    await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Revenue" },
    })
  ).body.id as string;

  dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-catalog-test-"));
  const config = loadConfig({ FLINT_DATA_DIR: dataDir, PORT: "3999", FLINT_PYTHON_ENV: findTestPythonEnv() });
  catalog = createCatalog({
    prisma: t.prisma,
    dataDir,
    pythonEnv: config.kernels.pythonEnv,
    secretKey: parseSecretKey(readOrCreateSecret(dataDir, "catalog-key")),
    // The source database is this test's embedded PostgreSQL on loopback: allowed by name, as an
    // administrator would with FLINT_CONNECTION_ALLOW (refused by default, case 32).
    connectionPolicy: parseConnectionAllowList(new URL(inject("flintTestDatabaseUrl")).hostname),
    maxUploadBytes: MAX_UPLOAD_BYTES,
    log: () => undefined,
  });
  handle = createRouter({
    routes: Object.values(createCatalogRoutes({ prisma: t.prisma, config, catalog })),
    prisma: t.prisma,
    maxBodyBytes: 1_000_000,
    authenticate: t.api.authenticate,
    trustedOrigins: [ORIGIN],
    onUnexpectedError: (error) => console.error(error),
  });
});

afterAll(async () => {
  await catalog?.stop();
  await t?.close();
});

describe("a CSV upload", () => {
  it("is streamed to storage, profiled by Spark, and its statistics are right", async () => {
    const created = await upload(
      alice.token,
      {
        projectId,
        name: "customer_orders_2026",
        description: "Monthly revenue by region for the finance team",
        tags: "finance, gold",
      },
      { name: "orders.csv", content: ORDERS_CSV },
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: "customer_orders_2026",
      kind: "file",
      format: "csv",
      tags: ["finance", "gold"],
      owner: { id: alice.id },
    });
    // The one profiling slot may already have picked it up.
    expect(["queued", "running"]).toContain(created.body.profileStatus);
    csvAssetId = created.body.id as string;

    // Searchable by column at once, from the header, before Spark has run.
    const early = await search(alice.token, "col:customer_email");
    expect(hitNames(early.body)).toEqual(["customer_orders_2026"]);

    const profile = await waitForProfile(csvAssetId, alice.token);
    expect(profile.error ?? null).toBeNull();
    expect(profile).toMatchObject({
      status: "done",
      rowCount: 12,
      profiledRows: 12,
      isSampled: false,
      message: "Used all rows",
    });
    const result = profile.result as {
      columns: {
        name: string;
        dataType: string;
        nullCount: number;
        distinctCount: number;
        min: unknown;
        max: unknown;
        mean: number | null;
        histogram: { counts: number[] } | null;
        topValues: { value: string; count: number }[] | null;
      }[];
      preview: { columns: string[]; rows: (string | null)[][] };
    };
    const column = (name: string) => result.columns.find((entry) => entry.name === name)!;
    expect(column("amount")).toMatchObject({ dataType: "double", nullCount: 1, min: 10.5, max: 120 });
    expect(column("amount").mean).toBeCloseTo(740.5 / 11, 6);
    expect(column("amount").histogram!.counts.reduce((sum, count) => sum + count, 0)).toBe(11);
    expect(column("customer_email").nullCount).toBe(1);
    expect(column("region").distinctCount).toBe(4);
    expect(column("region").topValues![0]).toEqual({ value: "north", count: 6 });
    expect(column("order_id")).toMatchObject({ dataType: "int", min: 1, max: 12 });
    expect(result.preview.columns).toEqual(["order_id", "customer_email", "amount", "region", "ordered_at"]);
    expect(result.preview.rows).toHaveLength(12);

    const asset = await call("GET", `/api/v1/catalog/assets/${csvAssetId}`, { token: alice.token });
    expect(asset.status).toBe(200);
    expect(asset.body).toMatchObject({ rowCount: 12, profileStatus: "done", canEdit: true, columnCount: 5 });
    expect(
      (asset.body.columns as { name: string; dataType: string }[]).map((c) => `${c.name}:${c.dataType}`),
    ).toContain("amount:double");
    expect((asset.body.snippets as { spark: string }).spark).toContain(
      'catalog.load("customer_orders_2026")',
    );
  });

  it("is found by a word of its description, by a column name, and by a query with a typo", async () => {
    const byDescription = await search(alice.token, "revenue");
    expect(hitNames(byDescription.body)[0]).toBe("customer_orders_2026");

    const byColumn = await search(alice.token, "customer_email");
    expect(hitNames(byColumn.body)).toContain("customer_orders_2026");
    expect(byColumn.body.columnSearch).toEqual(["customer_email"]);
    const hit = (byColumn.body.items as { name: string; matchedColumns: { name: string }[] }[])[0]!;
    expect(hit.matchedColumns.map((c) => c.name)).toContain("customer_email");

    const typo = await search(alice.token, "custmer");
    expect(typo.body.correctedQuery).toBe("customer");
    expect(hitNames(typo.body)).toEqual(["customer_orders_2026"]);

    const filtered = await search(alice.token, "orders tag:finance kind:file");
    expect(hitNames(filtered.body)).toEqual(["customer_orders_2026"]);
    expect((filtered.body.facets as { tag: { value: string; count: number }[] }).tag).toContainEqual({
      value: "finance",
      label: "finance",
      count: 1,
    });
    expect(hitNames((await search(alice.token, "orders tag:marketing")).body)).toEqual([]);

    const suggestions = await call("GET", "/api/v1/catalog/autocomplete?q=custo", { token: alice.token });
    expect((suggestions.body.suggestions as { name: string }[]).map((s) => s.name)).toEqual([
      "customer_orders_2026",
    ]);
  });

  it("ranks the exact name first, ahead of a more popular near-namesake registered from storage", async () => {
    const folder = path.join(dataDir, "storage", "projects", projectId, "landing");
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, "orders.csv"), "order_id,customer_id\n1,2\n");
    const registered = await call("POST", "/api/v1/catalog/assets", {
      token: alice.token,
      json: {
        source: "path",
        projectId,
        path: "landing/orders.csv",
        name: "customer_orders_2026_archive",
        description: "customer orders customer orders 2026",
      },
    });
    expect(registered.status, registered.text).toBe(201);
    await skipProfile(registered.body.id);
    await t.prisma.catalogAsset.update({
      where: { id: registered.body.id as string },
      data: { popularity: 1 },
    });
    const ranked = await search(alice.token, "customer_orders_2026");
    expect(hitNames(ranked.body).slice(0, 2)).toEqual([
      "customer_orders_2026",
      "customer_orders_2026_archive",
    ]);

    const traversal = await call("POST", "/api/v1/catalog/assets", {
      token: alice.token,
      json: { source: "path", projectId, path: "../../secrets/catalog-key", format: "csv" },
    });
    expect(traversal.status).toBe(400);
  });

  it("answers 413 above the upload limit and keeps nothing of it", async () => {
    const big = await upload(
      alice.token,
      { projectId, name: "too_big" },
      { name: "big.csv", content: `a,b\n${"1,2\n".repeat(MAX_UPLOAD_BYTES / 4 + 10)}` },
    );
    expect(big.status).toBe(413);
    expect(await t.prisma.catalogAsset.count({ where: { name: "too_big" } })).toBe(0);
    const uploads = path.join(dataDir, "storage", "projects", projectId, "uploads");
    expect(
      readdirSync(uploads).filter((name) => name.includes("too_big") || name.startsWith(".uploading")),
    ).toEqual([]);
  });
});

describe("other projects", () => {
  it("cannot find, load or learn that an asset exists (404 like a missing id)", async () => {
    for (const q of ["revenue", "custmer", "customer_email", "col:customer_email", "tag:finance", ""]) {
      const result = await search(carol.token, q);
      expect(result.status).toBe(200);
      expect(result.body.items, q).toEqual([]);
      expect(result.body.total).toBe(0);
      expect(result.body.correctedQuery).toBeNull();
      // Only what was typed comes back: no column name of Alice's is revealed.
      expect(result.body.columnSearch).toEqual(q.startsWith("col:") ? [q.slice(4)] : []);
    }
    const suggestions = await call("GET", "/api/v1/catalog/autocomplete?q=cust", { token: carol.token });
    expect(suggestions.body.suggestions).toEqual([]);
    const missing = await call("GET", "/api/v1/catalog/assets/does-not-exist-123", { token: carol.token });
    for (const [method, url, json] of [
      ["GET", `/api/v1/catalog/assets/${csvAssetId}`],
      ["GET", `/api/v1/catalog/assets/${csvAssetId}/profile`],
      ["GET", `/api/v1/catalog/assets/${csvAssetId}/rows`],
      ["PATCH", `/api/v1/catalog/assets/${csvAssetId}`, { description: "mine now" }],
      ["DELETE", `/api/v1/catalog/assets/${csvAssetId}`],
      ["POST", `/api/v1/catalog/assets/${csvAssetId}/profile`],
    ] as const) {
      const response = await call(method, url, { token: carol.token, json });
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.body, `${method} ${url}`).toEqual(missing.body);
    }
    for (const name of ["customer_orders_2026", csvAssetId]) {
      const load = await call("POST", "/api/v1/catalog/load", { token: carol.token, json: { name } });
      expect(load.status).toBe(404);
      expect(load.body).toEqual(
        (await call("POST", "/api/v1/catalog/load", { token: carol.token, json: { name: "no_such_asset" } }))
          .body,
      );
    }
    const intoTheirs = await upload(carol.token, { projectId }, { name: "x.csv", content: "a\n1\n" });
    expect(intoTheirs.status).toBe(404);
    const anonymous = await call("GET", "/api/v1/catalog/search?q=revenue");
    expect(anonymous.status).toBe(401);
    // Carol's own project still works for her.
    const own = await upload(
      carol.token,
      { projectId: carolProjectId, name: "carol_data" },
      { name: "c.csv", content: "a\n1\n" },
    );
    expect(own.status).toBe(201);
    await skipProfile(own.body.id);
    expect(hitNames((await search(alice.token, "carol")).body)).toEqual([]);
  });

  it("lets a viewer read and load but not write", async () => {
    expect(
      (await call("GET", `/api/v1/catalog/assets/${csvAssetId}`, { token: bob.token })).body.canEdit,
    ).toBe(false);
    expect(hitNames((await search(bob.token, "revenue")).body)).toContain("customer_orders_2026");
    const load = await call("POST", "/api/v1/catalog/load", {
      token: bob.token,
      json: { name: "customer_orders_2026" },
    });
    expect(load.status).toBe(200);
    const edit = await call("PATCH", `/api/v1/catalog/assets/${csvAssetId}`, {
      token: bob.token,
      json: { description: "x" },
    });
    expect(edit.status).toBe(403);
    expect((await upload(bob.token, { projectId }, { name: "b.csv", content: "a\n1\n" })).status).toBe(403);
  });
});

describe("notebook tokens", () => {
  it("load and register as the user, only inside the notebook's project, with lineage and usage", async () => {
    const { secret } = await issueNotebookToken(t.prisma, { userId: alice.id, projectId, notebookId });
    // Alice's asset in her other project is invisible through a token of this notebook.
    const other = await upload(
      alice.token,
      { projectId: aliceOtherProjectId, name: "side_orders" },
      { name: "s.csv", content: "order_id\n1\n" },
    );
    expect(other.status).toBe(201);
    await skipProfile(other.body.id);
    expect(hitNames((await search(secret, "orders")).body)).not.toContain("side_orders");
    expect(
      (await call("POST", "/api/v1/catalog/load", { token: secret, json: { name: "side_orders" } })).status,
    ).toBe(404);
    expect((await call("GET", `/api/v1/catalog/assets/${other.body.id}`, { token: secret })).status).toBe(
      404,
    );
    // Routes a kernel has no business with refuse the token.
    expect((await call("DELETE", `/api/v1/catalog/assets/${csvAssetId}`, { token: secret })).status).toBe(
      401,
    );

    const load = await call("POST", "/api/v1/catalog/load", {
      token: secret,
      json: { name: "customer_orders_2026" },
    });
    expect(load.status, load.text).toBe(200);
    expect(load.body.read).toMatchObject({
      type: "file",
      format: "csv",
      options: { header: "true", inferSchema: "true" },
    });
    expect(path.isAbsolute((load.body.read as { path: string }).path)).toBe(true);

    const target = await call("POST", "/api/v1/catalog/write-targets", {
      token: secret,
      json: { name: "orders_by_region", format: "csv" },
    });
    expect(target.status, target.text).toBe(200);
    expect(target.body.projectId).toBe(projectId);
    const written = target.body.path as string;
    mkdirSync(written, { recursive: true });
    writeFileSync(path.join(written, "part-00000.csv"), "region,revenue\nnorth,100\n");
    const registered = await call("POST", "/api/v1/catalog/assets/written", {
      token: secret,
      json: {
        name: "orders_by_region",
        path: target.body.relativePath,
        format: "csv",
        description: "Revenue per region",
        columns: [
          { name: "region", dataType: "string", nullable: true },
          { name: "revenue", dataType: "double", nullable: true },
        ],
      },
    });
    expect(registered.status, registered.text).toBe(201);
    await skipProfile(registered.body.id);
    expect(registered.body).toMatchObject({
      name: "orders_by_region",
      columnCount: 2,
      owner: { id: alice.id },
    });
    const again = await call("POST", "/api/v1/catalog/write-targets", {
      token: secret,
      json: { name: "orders_by_region" },
    });
    expect(again.status).toBe(409);
    const intoOtherProject = await call("POST", "/api/v1/catalog/write-targets", {
      token: secret,
      json: { name: "x", projectId: carolProjectId },
    });
    expect(intoOtherProject.status).toBe(404);

    const read = await call("GET", `/api/v1/catalog/assets/${csvAssetId}`, { token: alice.token });
    const lineage = read.body.lineage as { readBy: { notebookId: string; notebookName: string }[] };
    expect(lineage.readBy).toEqual([expect.objectContaining({ notebookId, notebookName: "Revenue" })]);
    expect(read.body.usage30d).toBeGreaterThanOrEqual(1);
    const produced = await call("GET", `/api/v1/catalog/assets/${registered.body.id}`, {
      token: alice.token,
    });
    expect((produced.body.lineage as { writtenBy: { notebookId: string }[] }).writtenBy[0]?.notebookId).toBe(
      notebookId,
    );

    const expired = await issueNotebookToken(t.prisma, { userId: alice.id, projectId, ttlMs: -1000 });
    expect((await search(expired.secret, "orders")).status).toBe(401);
  });

  it("registers a Spark table from a notebook with the kernel's profile; loading names the table", async () => {
    const { secret } = await issueNotebookToken(t.prisma, { userId: alice.id, projectId, notebookId });
    const profile = {
      rowCount: 3,
      profiledRows: 3,
      isSampled: false,
      schema: [{ name: "clicked_at", dataType: "timestamp", nullable: true }],
      columns: [],
      preview: { columns: ["clicked_at"], rows: [["2026-01-01 00:00:00"]] },
    };
    const body = {
      name: "web_clickstream",
      table: "default.web_clickstream",
      description: "Clicks on the web shop",
      columns: [{ name: "clicked_at", dataType: "timestamp", nullable: true }],
      profile,
    };
    const registered = await call("POST", "/api/v1/catalog/assets/spark-tables", {
      token: secret,
      json: body,
    });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body).toMatchObject({ name: "web_clickstream", kind: "spark_table", columnCount: 1 });
    const id = registered.body.id as string;

    const asset = await call("GET", `/api/v1/catalog/assets/${id}`, { token: alice.token });
    expect(asset.body).toMatchObject({
      qualifiedName: "spark_catalog.default.web_clickstream",
      rowCount: 3,
      profileStatus: "done",
    });
    expect((asset.body.lineage as { writtenBy: { notebookId: string }[] }).writtenBy[0]?.notebookId).toBe(
      notebookId,
    );
    expect(hitNames((await search(alice.token, "clicked_at")).body)).toContain("web_clickstream");
    const load = await call("POST", "/api/v1/catalog/load", {
      token: secret,
      json: { name: "web_clickstream" },
    });
    expect(load.body.read).toEqual({ type: "spark_table", table: "default.web_clickstream" });

    // A name taken by another kind of asset is refused; bad table names get a 400 that says why.
    const clash = await call("POST", "/api/v1/catalog/assets/spark-tables", {
      token: secret,
      json: { ...body, name: "customer_orders_2026" },
    });
    expect(clash.status).toBe(409);
    const bad = await call("POST", "/api/v1/catalog/assets/spark-tables", {
      token: secret,
      json: { ...body, table: "x; drop table y" },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("a table name like sales");
  });
});

describe("a fork's notebook token", () => {
  it("loads the source project's assets when the user may read them, and says how to get access when not", async () => {
    // Bob is a viewer of Finance and forks its notebook into a project of his own.
    const bobProject = (
      await t.call("POST", "/api/v1/projects", { as: bob, via: "token", json: { name: "Bob's sandbox" } })
    ).body.id as string;
    const bobFork = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
      as: bob,
      via: "token",
      json: { projectId: bobProject },
    });
    expect(bobFork.status, bobFork.text).toBe(201);
    const bobToken = (
      await issueNotebookToken(t.prisma, {
        userId: bob.id,
        projectId: bobProject,
        notebookId: String(bobFork.body.id),
      })
    ).secret;
    const loaded = await call("POST", "/api/v1/catalog/load", {
      token: bobToken,
      json: { name: "customer_orders_2026", notebookId: bobFork.body.id },
    });
    expect(loaded.status, loaded.text).toBe(200);
    expect(loaded.body.asset).toMatchObject({ id: csvAssetId, projectId });
    // The fork's kernel holds only its own project's files (its sandbox): the source's file
    // comes through the API, with the same bytes as on disk.
    const read = loaded.body.read as { type: string; url: string; format: string; isFolder: boolean };
    expect(read).toMatchObject({ type: "download", format: "csv", isFolder: false });
    const content = await call("GET", read.url, { token: bobToken });
    expect(content.status, content.text).toBe(200);
    expect(content.text.split("\n")[0]).toContain(",");
    expect(
      (await call("GET", `/api/v1/catalog/assets/${csvAssetId}/profile`, { token: bobToken })).status,
    ).toBe(200);
    expect(hitNames((await search(bobToken, "customer_orders_2026")).body)).toContain("customer_orders_2026");
    // Reads only: the fork still writes to its own project alone.
    const write = await call("POST", "/api/v1/catalog/write-targets", {
      token: bobToken,
      json: { name: "into_finance", projectId },
    });
    expect(write.status).toBe(404);

    // An asset of the same name in the fork's own project comes first.
    const own = await upload(
      bob.token,
      { projectId: bobProject, name: "customer_orders_2026" },
      { name: "mine.csv", content: "order_id\n1\n" },
    );
    expect(own.status, own.text).toBe(201);
    await skipProfile(own.body.id);
    const preferred = await call("POST", "/api/v1/catalog/load", {
      token: bobToken,
      json: { name: "customer_orders_2026" },
    });
    expect(preferred.body.asset).toMatchObject({ id: own.body.id, projectId: bobProject });
    const chosen = await call("POST", "/api/v1/catalog/load", {
      token: bobToken,
      json: { name: "customer_orders_2026", projectId },
    });
    expect(chosen.body.asset).toMatchObject({ id: csvAssetId });

    // Carol is no member of Finance. She forks the published notebook into a new project: the
    // load names the project (public on the community page) and says how to get access.
    await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: alice, via: "token" });
    const carolFork = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
      as: carol,
      via: "token",
      json: { newProject: { name: "Carol's fork" } },
    });
    expect(carolFork.status, carolFork.text).toBe(201);
    const carolToken = (
      await issueNotebookToken(t.prisma, {
        userId: carol.id,
        projectId: String(carolFork.body.projectId),
        notebookId: String(carolFork.body.id),
      })
    ).secret;
    const refused = await call("POST", "/api/v1/catalog/load", {
      token: carolToken,
      json: { name: "customer_orders_2026" },
    });
    expect(refused.status).toBe(403);
    expect((refused.body.error as { message: string }).message).toBe(
      "Asset customer_orders_2026 belongs to project Finance (this notebook was forked from it), which you are not a member of: ask its admin for access (a viewer can load it).",
    );
    expect(
      (await call("GET", `/api/v1/catalog/assets/${csvAssetId}/profile`, { token: carolToken })).status,
    ).toBe(404);
    const missing = await call("POST", "/api/v1/catalog/load", {
      token: carolToken,
      json: { name: "no_such_asset" },
    });
    expect(missing.status).toBe(404);

    // Once Alice adds her as a viewer, the same call loads.
    await t.call("POST", `/api/v1/projects/${projectId}/members`, {
      as: alice,
      via: "token",
      json: { email: carol.email, role: "viewer" },
    });
    const granted = await call("POST", "/api/v1/catalog/load", {
      token: carolToken,
      json: { name: "customer_orders_2026" },
    });
    expect(granted.status, granted.text).toBe(200);
    await t.call("DELETE", `/api/v1/projects/${projectId}/members/${carol.id}`, { as: alice, via: "token" });

    // Unpublished, the source's project is no longer Carol's to know of: plain "not found".
    await t.call("DELETE", `/api/v1/notebooks/${notebookId}/publish`, { as: alice, via: "token" });
    const hidden = await call("POST", "/api/v1/catalog/load", {
      token: carolToken,
      json: { name: "customer_orders_2026" },
    });
    expect(hidden.status).toBe(404);
    expect(hidden.text).not.toContain("Finance");
    // A notebook that is no fork learns nothing of other projects either.
    const carolNotebook = (
      await t.call("POST", `/api/v1/projects/${carolProjectId}/notebooks`, {
        as: carol,
        via: "token",
        json: { name: "Own" },
      })
    ).body.id as string;
    const plain = (
      await issueNotebookToken(t.prisma, {
        userId: carol.id,
        projectId: carolProjectId,
        notebookId: carolNotebook,
      })
    ).secret;
    await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: alice, via: "token" });
    const unrelated = await call("POST", "/api/v1/catalog/load", {
      token: plain,
      json: { name: "customer_orders_2026" },
    });
    expect(unrelated.status).toBe(404);
    expect(unrelated.text).not.toContain("Finance");
    await t.call("DELETE", `/api/v1/notebooks/${notebookId}/publish`, { as: alice, via: "token" });
  });
});

describe("a PostgreSQL connection", () => {
  it("registers a table, profiles it over JDBC, streams its rows, and never returns the password", async () => {
    const server = new URL(inject("flintTestDatabaseUrl"));
    const password = decodeURIComponent(server.password);
    const database = `catalog_source_${Date.now()}`;
    const admin = createPrismaClient(server.toString());
    await admin.$executeRawUnsafe(`create database ${database}`);
    await admin.$disconnect();
    const sourceUrl = new URL(server);
    sourceUrl.pathname = `/${database}`;
    const source = createPrismaClient(sourceUrl.toString());
    for (const statement of [
      "create table public.customers (id int primary key, email text, lifetime_value numeric(10,2), joined date)",
      "comment on column public.customers.email is 'Where invoices go'",
      `insert into public.customers values (1, 'a@x.test', 10.00, '2026-01-01'), (2, 'b@x.test', 20.00, '2026-01-02'),
        (3, null, 30.00, '2026-02-01'), (4, 'd@x.test', null, '2026-03-01'), (5, 'e@x.test', 50.00, null)`,
      "analyze public.customers",
    ]) {
      await source.$executeRawUnsafe(statement);
    }
    await source.$disconnect();

    const wrong = await call("POST", "/api/v1/catalog/connections", {
      token: alice.token,
      json: {
        projectId,
        name: "bad",
        host: server.hostname,
        port: Number(server.port),
        database,
        username: "postgres",
        password: "not-the-password-42",
      },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.text).not.toContain("not-the-password-42");

    const connection = await call("POST", "/api/v1/catalog/connections", {
      token: alice.token,
      json: {
        projectId,
        name: "warehouse",
        host: server.hostname,
        port: Number(server.port),
        database,
        username: "postgres",
        password,
      },
    });
    expect(connection.status, connection.text).toBe(201);
    expect(connection.body).toMatchObject({ name: "warehouse", hasPassword: true, username: "postgres" });
    expect(connection.body).not.toHaveProperty("password");
    expect(connection.body).not.toHaveProperty("passwordEncrypted");
    const stored = await t.prisma.catalogConnection.findUniqueOrThrow({
      where: { id: connection.body.id as string },
    });
    expect(stored.passwordEncrypted).not.toContain(password);

    const tables = await call("GET", `/api/v1/catalog/connections/${connection.body.id}/tables`, {
      token: alice.token,
    });
    expect(tables.body.tables).toContainEqual({
      schema: "public",
      table: "customers",
      kind: "table",
      registeredAssetId: null,
    });
    expect(
      (await call("GET", `/api/v1/catalog/connections?projectId=${projectId}`, { token: carol.token }))
        .status,
    ).toBe(404);
    expect(
      (await call("GET", `/api/v1/catalog/connections/${connection.body.id}/tables`, { token: carol.token }))
        .status,
    ).toBe(404);

    const registered = await call("POST", "/api/v1/catalog/assets", {
      token: alice.token,
      json: {
        source: "connection",
        projectId,
        connectionId: connection.body.id,
        table: "public.customers",
        tags: ["crm"],
      },
    });
    expect(registered.status, registered.text).toBe(201);
    const assetId = registered.body.id as string;
    expect(registered.body).toMatchObject({
      name: "customers",
      kind: "table",
      format: "jdbc",
      columnCount: 4,
    });
    const detail = await call("GET", `/api/v1/catalog/assets/${assetId}`, { token: alice.token });
    expect(detail.body.columns).toContainEqual({
      name: "email",
      dataType: "text",
      nullable: true,
      description: "Where invoices go",
    });
    expect(hitNames((await search(alice.token, "invoices")).body)).toEqual(["customers"]);
    expect(hitNames((await search(carol.token, "invoices")).body)).toEqual([]);

    const profile = await waitForProfile(assetId, alice.token);
    expect(profile.error ?? null).toBeNull();
    expect(profile).toMatchObject({ status: "done", rowCount: 5, isSampled: false });
    const columns = (
      profile.result as { columns: { name: string; nullCount: number; mean: number | null }[] }
    ).columns;
    expect(columns.find((c) => c.name === "lifetime_value")).toMatchObject({ nullCount: 1, mean: 27.5 });
    expect(columns.find((c) => c.name === "email")?.nullCount).toBe(1);

    const load = await call("POST", "/api/v1/catalog/load", {
      token: bob.token,
      json: { name: "customers" },
    });
    expect(load.body.read).toMatchObject({ type: "rows", url: `/api/v1/catalog/assets/${assetId}/rows` });
    const rows = await call("GET", `/api/v1/catalog/assets/${assetId}/rows`, { token: bob.token });
    expect(rows.status).toBe(200);
    expect(rows.text.trim().split("\n")).toEqual([
      "id,email,lifetime_value,joined",
      "1,a@x.test,10.00,2026-01-01",
      "2,b@x.test,20.00,2026-01-02",
      "3,,30.00,2026-02-01",
      "4,d@x.test,,2026-03-01",
      "5,e@x.test,50.00,",
    ]);
    await call("GET", `/api/v1/catalog/assets/${assetId}`, { token: alice.token });
    await call("GET", `/api/v1/catalog/connections?projectId=${projectId}`, { token: alice.token });
    expect(seenBodies.filter((body) => body.includes(password))).toEqual([]);
  });
});
