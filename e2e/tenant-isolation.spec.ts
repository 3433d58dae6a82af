// Tenant isolation on the real server (issue 13, SECURITY.md 26-29): a user who just signed up
// runs code in a notebook of their own project. Their kernel runs sandboxed as the server runs
// by default, with the embedded PostgreSQL, Flint's secrets and another project's files on the
// same machine. Each escape fails with the error its protection gives; the same kernel still
// loads, writes and registers data through flint.catalog.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { AUTH } from "./notebook-fixtures";

test.describe.configure({ timeout: 300_000 });

const dataDir = () => {
  const dir = process.env.FLINT_E2E_DATA_DIR;
  if (!dir) throw new Error("the e2e global setup did not say where the server's data is");
  return dir;
};

/** Python that tries `attempt` and prints `ok` or the exception's class. */
const attempt = (label: string, code: string) =>
  [
    `try:`,
    `    ${code}`,
    `    print("${label}: ok")`,
    `except Exception as error:`,
    `    print("${label}:", type(error).__name__)`,
  ].join("\n");

async function runCells(
  request: APIRequestContext,
  origin: string,
  projectId: string,
  sources: string[],
): Promise<string[]> {
  const created = await request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers: { origin },
    data: {
      name: "Escapes",
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: sources.map((source, index) => ({
          id: `c${index}`,
          cell_type: "code",
          source,
          metadata: {},
          outputs: [],
          execution_count: null,
        })),
      },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const run = await request.post(`/api/v1/notebooks/${id}/run`, {
    headers: { origin },
    data: { wait: true, timeoutMs: 240_000 },
    timeout: 280_000,
  });
  expect(run.status(), await run.text()).toBe(200);
  const { results } = (await run.json()) as { results: { outputs: { text?: string; ename?: string }[] }[] };
  return results.map((result) => result.outputs.map((output) => output.text ?? output.ename ?? "").join(""));
}

test("a signed-up user's kernel reaches only their project, and still does its work", async ({
  request,
  baseURL,
}) => {
  const origin = new URL(baseURL!).origin;
  const email = `mallory${Date.now()}@example.test`;
  const signUp = await request.post("/api/auth/sign-up/email", {
    headers: { origin },
    data: { name: "Mallory", email, password: "a long enough password" },
  });
  expect(signUp.status(), await signUp.text()).toBe(200);
  const project = await request.post("/api/v1/projects", { headers: { origin }, data: { name: "Mine" } });
  const projectId = ((await project.json()) as { id: string }).id;

  // The sandbox details are for site administrators: the demo user's token reads them.
  const health = (await (await request.get("/api/health", { headers: AUTH })).json()) as {
    sandbox: { mode: string; user: string };
  };
  expect(health.sandbox).toMatchObject({ mode: "bwrap", user: "project" });

  // What lies on the server's disk: found here, as the server's own user would.
  const root = dataDir();
  const secrets = readdirSync(path.join(root, "secrets")).map((name) => path.join(root, "secrets", name));
  const passwordFile = path.join(root, "postgres", ".flint-password");
  const postgresPort = Number(
    readFileSync(path.join(root, "postgres", "data", "postmaster.pid"), "utf8").split("\n")[3],
  );
  expect(postgresPort).toBeGreaterThan(0);
  const otherProjects = readdirSync(path.join(root, "storage", "projects")).filter((id) => id !== projectId);
  const otherFile = otherProjects
    .flatMap((id) => {
      const uploads = path.join(root, "storage", "projects", id, "uploads");
      try {
        return readdirSync(uploads).map((name) => path.join(uploads, name));
      } catch {
        return [];
      }
    })
    .at(0);
  expect(otherFile, "the seed's sample upload of another project").toBeTruthy();
  const serverInfo = readdirSync(path.join(root, "jupyter", "runtime")).map((name) =>
    path.join(root, "jupyter", "runtime", name),
  );

  const [escapes, work] = await runCells(request, origin, projectId, [
    [
      "import os, socket, signal",
      ...secrets.map((file, i) => attempt(`secret${i}`, `open(${JSON.stringify(file)}).read()`)),
      attempt("password", `open(${JSON.stringify(passwordFile)}).read()`),
      attempt("other-project", `open(${JSON.stringify(otherFile)}).read()`),
      attempt("spool", `os.listdir(${JSON.stringify(path.join(root, "outputs"))})`),
      ...serverInfo.map((file, i) => attempt(`jupyter${i}`, `open(${JSON.stringify(file)}).read()`)),
      attempt("server-environ", `open("/proc/${process.pid}/environ").read()`),
      attempt("kill-server", `os.kill(${process.pid}, signal.SIGTERM)`),
      attempt("postgres", `socket.create_connection(("127.0.0.1", ${postgresPort}), timeout=5)`),
      attempt(
        "sitecustomize",
        `open(__import__("sysconfig").get_paths()["purelib"] + "/sitecustomize.py", "w")`,
      ),
      'print("uid:", os.getuid())',
    ].join("\n"),
    [
      "import flint.catalog",
      "df = spark.range(5).withColumnRenamed('id', 'n')",
      'flint.catalog.register(df, "mallory_numbers", description="five numbers")',
      'print("registered", flint.catalog.load("mallory_numbers").count())',
    ].join("\n"),
  ]);
  for (const [label, error] of [
    ...secrets.map((_, i) => [`secret${i}`, "FileNotFoundError"]),
    ["password", "FileNotFoundError"],
    ["other-project", "FileNotFoundError"],
    ["spool", "FileNotFoundError"],
    ...serverInfo.map((_, i) => [`jupyter${i}`, "FileNotFoundError"]),
    ["server-environ", "FileNotFoundError"],
    ["kill-server", "ProcessLookupError"],
    ["postgres", "ConnectionRefusedError"],
    ["sitecustomize", "OSError"],
  ]) {
    expect(escapes, label).toContain(`${label}: ${error}`);
  }
  expect(Number(/uid: (\d+)/.exec(escapes!)?.[1])).toBeGreaterThanOrEqual(200_000);
  expect(work).toContain("registered 5");
  // The file it wrote is in its project's storage, and the catalog lists it for the user.
  const search = await request.get(`/api/v1/catalog/search?q=mallory_numbers`);
  expect(await search.text()).toContain("mallory_numbers");
});
