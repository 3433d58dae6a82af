// Issue 16 and SECURITY.md case 22: the web server killed (SIGKILL) during a run, an upload and a
// save, then started again on the same data folder. Real processes: its own built Flint, PostgreSQL, Jupyter and kernel.
// Decision (docs/kernels.md): a cell running when Flint dies ends `died` with what it printed and
// a notice; its kernel died with that Flint's Jupyter Server. A half-received upload leaves nothing.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findRunningEmbeddedPostgres } from "@flint/db/embedded";
import { startBuiltFlint, type TFlintServer } from "@flint/testing";
import { expect, test } from "@playwright/test";
import pg from "pg";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOKEN = "flint_pat_faults_token_0123456789abcdef";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const port = Number(process.env.FLINT_E2E_PORT ?? "3300") + 71;

test.setTimeout(600_000);

let server: TFlintServer | null = null;
// Each test starts its own server on the same port: the previous one must be gone, or its health
// answer would be taken for the new server's.
test.afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(dataDir?: string): Promise<TFlintServer> {
  return await startBuiltFlint({
    root,
    port,
    dataDir,
    demo: { password: "demo-password-for-faults", token: TOKEN },
    env: { FLINT_WARM_KERNELS: "0" },
  });
}

/** Kills the server the way a crash or the OOM killer would: no chance to clean up. */
async function kill(flint: TFlintServer): Promise<void> {
  const exited = new Promise((resolve) => flint.child.once("exit", resolve));
  flint.child.kill("SIGKILL");
  await exited;
}

async function api(flint: TFlintServer, method: string, url: string, json?: unknown) {
  const response = await fetch(`${flint.url}${url}`, {
    method,
    headers: { ...AUTH, ...(json === undefined ? {} : { "content-type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function findPartialUploads(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.startsWith(".uploading-")) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

test("killed during a run: the cell ends 'died' with its output and a notice; the notebook runs again", async () => {
  server = await start();
  const dataDir = server.dataDir;
  const projects = await api(server, "GET", "/api/v1/projects");
  const projectId = (projects.body.projects as { id: string }[])[0]!.id;
  const source = 'import time\nfor i in range(600):\n    print(f"tick {i}", flush=True)\n    time.sleep(0.2)';
  const created = await api(server, "POST", `/api/v1/projects/${projectId}/notebooks`, {
    name: "Long run",
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ id: "ticks", cell_type: "code", metadata: {}, source, outputs: [], execution_count: null }],
    },
  });
  expect(created.status).toBe(201);
  const notebookId = created.body.id as string;
  expect((await api(server, "POST", `/api/v1/notebooks/${notebookId}/run`, {})).status).toBeLessThan(300);

  // Wait until the database has a few ticks, then kill the server mid-run.
  await expect
    .poll(
      async () =>
        JSON.stringify((await api(server!, "GET", `/api/v1/notebooks/${notebookId}`)).body.notebook),
      { timeout: 240_000 },
    )
    .toContain("tick 3");
  await kill(server);

  server = await start(dataDir);
  const after = await api(server, "GET", `/api/v1/notebooks/${notebookId}`);
  expect((after.body.cellStatus as Record<string, string>).ticks).toBe("died");
  const text = JSON.stringify(after.body.notebook);
  expect(text).toContain("tick 0");
  expect(text).toContain("tick 3");
  expect(text).toContain("Flint stopped while this cell was running (the server was restarted)");

  // A new run works on a new kernel (the old one died with the old server's Jupyter).
  await api(server, "PUT", `/api/v1/notebooks/${notebookId}`, {
    version: after.body.version,
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { id: "ticks", cell_type: "code", metadata: {}, source: "6 * 7", outputs: [], execution_count: null },
      ],
    },
  });
  const rerun = await api(server, "POST", `/api/v1/notebooks/${notebookId}/run`, { wait: true });
  expect(rerun.status).toBe(200);
  expect(JSON.stringify(rerun.body)).toContain("42");
});

test("killed during an upload: nothing half-written stays, earlier assets are intact", async () => {
  server = await start();
  const dataDir = server.dataDir;
  const projects = await api(server, "GET", "/api/v1/projects");
  const projectId = (projects.body.projects as { id: string }[])[0]!.id;

  const small = new FormData();
  small.append("projectId", projectId);
  small.append("name", "kept_rows");
  small.append("file", new Blob(["id,value\n1,a\n2,b\n"], { type: "text/csv" }), "kept.csv");
  const kept = await fetch(`${server.url}/api/v1/catalog/assets`, {
    method: "POST",
    headers: AUTH,
    body: small,
  });
  expect(kept.status, await kept.clone().text()).toBe(201);

  // A large CSV sent slowly, as over a slow network: the server is killed while receiving it.
  const boundary = "----flint-fault-boundary";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="projectId"\r\n\r\n${projectId}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nhalf_sent\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.csv"\r\nContent-Type: text/csv\r\n\r\nid,value\n`;
  const chunk = new TextEncoder().encode(
    "1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n".repeat(2000),
  );
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head));
    },
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sent++;
      controller.enqueue(chunk);
    },
  });
  const upload = fetch(`${server.url}/api/v1/catalog/assets`, {
    method: "POST",
    headers: { ...AUTH, "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: "half",
  } as RequestInit).catch((error: unknown) => error);
  const storage = path.join(dataDir, "storage", "projects");
  await expect.poll(() => findPartialUploads(storage).length, { timeout: 60_000 }).toBeGreaterThan(0);
  expect(sent).toBeGreaterThan(0);
  await kill(server);
  expect(await upload).toBeInstanceOf(Error);
  expect(findPartialUploads(storage).length).toBeGreaterThan(0);

  server = await start(dataDir);
  expect(findPartialUploads(storage)).toEqual([]);
  const assets = await api(server, "GET", `/api/v1/catalog/assets?projectId=${projectId}`);
  const names = (assets.body.assets as { name: string }[]).map((asset) => asset.name);
  expect(names).toContain("kept_rows");
  expect(names).not.toContain("half_sent");
  const asset = (assets.body.assets as { id: string; name: string }[]).find(
    (entry) => entry.name === "kept_rows",
  )!;
  const content = await fetch(`${server.url}/api/v1/catalog/assets/${asset.id}/content`, { headers: AUTH });
  expect(await content.text()).toBe("id,value\n1,a\n2,b\n");
});

test("killed in the middle of a save's transaction: the previous version stays intact (SECURITY.md case 22)", async () => {
  server = await start();
  const dataDir = server.dataDir;
  const projects = await api(server, "GET", "/api/v1/projects");
  const projectId = (projects.body.projects as { id: string }[])[0]!.id;
  const document = (source: string) => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{ id: "value", cell_type: "code", metadata: {}, source, outputs: [], execution_count: null }],
  });
  const created = await api(server, "POST", `/api/v1/projects/${projectId}/notebooks`, {
    name: "Saved once",
    notebook: document("x = 'version one'"),
  });
  expect(created.status).toBe(201);
  const notebookId = created.body.id as string;

  // Hold the activity table so the save stops inside its transaction, after it has already
  // written the notebook's new version (the feed entry comes last), and kill the server while it
  // waits there (before its commit can complete).
  const url = findRunningEmbeddedPostgres({ dir: path.join(dataDir, "postgres") });
  if (!url) throw new Error("the server's embedded PostgreSQL is not running");
  const blocker = new pg.Client({ connectionString: url });
  blocker.on("error", () => undefined);
  await blocker.connect();
  await blocker.query("begin");
  await blocker.query("lock table activity in exclusive mode");
  const save = api(server, "PUT", `/api/v1/notebooks/${notebookId}`, {
    version: created.body.version,
    notebook: document("x = 'version two'"),
  }).catch((error: unknown) => error);
  await expect
    .poll(
      async () =>
        (
          await blocker.query(
            "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()",
          )
        ).rows[0].n,
      { timeout: 60_000 },
    )
    .toBe(1);
  await kill(server);
  expect(await save).toBeInstanceOf(Error);
  await blocker.end().catch(() => undefined);

  server = await start(dataDir);
  const after = await api(server, "GET", `/api/v1/notebooks/${notebookId}`);
  expect(after.body.version).toBe(created.body.version);
  expect(JSON.stringify(after.body.notebook)).toContain("version one");
  expect(JSON.stringify(after.body.notebook)).not.toContain("version two");
  // Nothing is stuck: the same save now goes through.
  const saved = await api(server, "PUT", `/api/v1/notebooks/${notebookId}`, {
    version: created.body.version,
    notebook: document("x = 'version two'"),
  });
  expect(saved.status).toBe(200);
  expect(saved.body.version).toBe((created.body.version as number) + 1);
});
