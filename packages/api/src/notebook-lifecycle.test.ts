// Notebook management through the API on a real PostgreSQL: names ("Untitled" and uniqueness),
// rename, duplicate, the trash (soft delete, restore, delete forever, purge after 30 days) and
// what a trashed notebook still answers on other routes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredTrash, TRASH_RETENTION_DAYS } from "./services/notebook-lifecycle.js";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let alice: TTestUser;
let viewer: TTestUser;
let projectId: string;

const ipynb = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { id: "m1", cell_type: "markdown", metadata: {}, source: "# Sales" },
    {
      id: "c1",
      cell_type: "code",
      metadata: {},
      execution_count: 7,
      source: "print('hi')",
      outputs: [{ output_type: "stream", name: "stdout", text: "hi\n" }],
    },
  ],
};

async function create(name?: string, notebook?: unknown): Promise<{ id: string; name: string }> {
  const response = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
    as: alice,
    via: "token",
    json: { ...(name === undefined ? {} : { name }), ...(notebook ? { notebook } : {}) },
  });
  expect(response.status, response.text).toBe(201);
  return response.body as { id: string; name: string };
}

async function listNames(): Promise<string[]> {
  const list = await t.call("GET", `/api/v1/projects/${projectId}/notebooks`, { as: alice, via: "token" });
  return (list.body.notebooks as { name: string }[]).map((notebook) => notebook.name).sort();
}

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  viewer = await t.signUp("Vera");
  projectId = (await t.call("POST", "/api/v1/projects", { as: alice, via: "token", json: { name: "Life" } }))
    .body.id as string;
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: alice,
    via: "token",
    json: { email: viewer.email, role: "viewer" },
  });
});
afterAll(async () => t.close());

describe("names", () => {
  it("gives Untitled, Untitled 1, Untitled 2 to notebooks created without a name, like JupyterLab", async () => {
    expect((await create()).name).toBe("Untitled");
    expect((await create("")).name).toBe("Untitled 1");
    expect((await create("   ")).name).toBe("Untitled 2");
  });

  it("suffixes a name already taken on create, case-insensitively, and refuses it on rename", async () => {
    const first = await create("Revenue");
    expect((await create("revenue")).name).toBe("revenue (2)");
    expect((await create("Revenue")).name).toBe("Revenue (3)");
    const other = await create("Costs");
    const clash = await t.call("PATCH", `/api/v1/notebooks/${other.id}`, {
      as: alice,
      via: "token",
      json: { name: " REVENUE " },
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ message: expect.stringContaining("already exists") });
    // Renaming to its own name (or a case change of it) is no clash.
    const same = await t.call("PATCH", `/api/v1/notebooks/${first.id}`, {
      as: alice,
      via: "token",
      json: { name: "REVENUE" },
    });
    expect(same.status).toBe(200);
  });

  it("validates names: not empty after trimming, at most 200 characters, no control characters", async () => {
    const { id } = await create("Valid");
    for (const name of ["   ", "x".repeat(201), "tab\there"]) {
      const response = await t.call("PATCH", `/api/v1/notebooks/${id}`, {
        as: alice,
        via: "token",
        json: { name },
      });
      expect(response.status, name).toBe(400);
    }
    const renamed = await t.call("PATCH", `/api/v1/notebooks/${id}`, {
      as: alice,
      via: "token",
      json: { name: "  Quarterly review  " },
    });
    expect(renamed.body).toEqual({ id, name: "Quarterly review" });
    const document = await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" });
    expect(document.body).toMatchObject({ name: "Quarterly review", version: 1 });
  });

  it("lets no viewer rename", async () => {
    const { id } = await create("Viewer cannot");
    const response = await t.call("PATCH", `/api/v1/notebooks/${id}`, {
      as: viewer,
      via: "token",
      json: { name: "x" },
    });
    expect(response.status).toBe(403);
  });
});

describe("duplicate", () => {
  it("copies cells and outputs into the project as '<name> (copy)', then '(copy 2)'", async () => {
    const source = await create("Forecast", ipynb);
    const copy = await t.call("POST", `/api/v1/notebooks/${source.id}/duplicate`, {
      as: alice,
      via: "token",
      json: {},
    });
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({ name: "Forecast (copy)", projectId, cellCount: 2 });
    const document = await t.call("GET", `/api/v1/notebooks/${copy.body.id}`, { as: alice, via: "token" });
    const cells = (document.body.notebook as { cells: Record<string, unknown>[] }).cells;
    // nbformat JSON as Jupyter writes it: multi-line strings as lists of lines.
    expect(cells[1]).toMatchObject({ source: ["print('hi')"], execution_count: 7 });
    expect(cells[1]?.outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["hi\n"] }]);
    const again = await t.call("POST", `/api/v1/notebooks/${source.id}/duplicate`, {
      as: alice,
      via: "token",
      json: {},
    });
    expect(again.body.name).toBe("Forecast (copy 2)");
    const named = await t.call("POST", `/api/v1/notebooks/${source.id}/duplicate`, {
      as: alice,
      via: "token",
      json: { name: "Forecast" },
    });
    expect(named.body.name).toBe("Forecast (2)");
    // The copy is its own notebook: editing it leaves the source alone.
    const saved = await t.call("PUT", `/api/v1/notebooks/${copy.body.id}`, {
      as: alice,
      via: "token",
      json: { version: 1, notebook: { ...ipynb, cells: [] } },
    });
    expect(saved.status).toBe(200);
    const sourceAfter = await t.call("GET", `/api/v1/notebooks/${source.id}`, { as: alice, via: "token" });
    expect((sourceAfter.body.notebook as { cells: unknown[] }).cells).toHaveLength(2);
  });

  it("is refused to a viewer", async () => {
    const source = await create("Viewer copy");
    const response = await t.call("POST", `/api/v1/notebooks/${source.id}/duplicate`, {
      as: viewer,
      via: "token",
      json: {},
    });
    expect(response.status).toBe(403);
  });
});

describe("trash", () => {
  it("hides a deleted notebook, answers 404 'in the trash' on its routes, and restores it", async () => {
    const notebook = await create("Churn model", ipynb);
    const trashed = await t.call("DELETE", `/api/v1/notebooks/${notebook.id}`, { as: alice, via: "token" });
    expect(trashed.status).toBe(200);
    expect(trashed.body).toMatchObject({ id: notebook.id, name: "Churn model" });
    const purgeAt = new Date(trashed.body.purgeAt as string).getTime();
    const deletedAt = new Date(trashed.body.deletedAt as string).getTime();
    expect(purgeAt - deletedAt).toBe(TRASH_RETENTION_DAYS * 86_400_000);

    expect(await listNames()).not.toContain("Churn model");
    for (const url of [
      `/api/v1/notebooks/${notebook.id}`,
      `/api/v1/notebooks/${notebook.id}/export`,
      `/api/v1/notebooks/${notebook.id}/checkpoints`,
    ]) {
      const response = await t.call("GET", url, { as: alice, via: "token" });
      expect(response.status, url).toBe(404);
      expect(response.body.error).toMatchObject({ message: expect.stringContaining("trash") });
    }
    const save = await t.call("PUT", `/api/v1/notebooks/${notebook.id}`, {
      as: alice,
      via: "token",
      json: { version: 1, notebook: ipynb },
    });
    expect(save.status).toBe(404);

    const trash = await t.call("GET", `/api/v1/projects/${projectId}/trash`, { as: viewer, via: "token" });
    expect(trash.status).toBe(200);
    expect(trash.body.retentionDays).toBe(30);
    expect((trash.body.notebooks as { id: string }[]).map((entry) => entry.id)).toContain(notebook.id);

    // A viewer sees the trash but may not restore.
    const refused = await t.call("POST", `/api/v1/notebooks/${notebook.id}/restore`, {
      as: viewer,
      via: "token",
    });
    expect(refused.status).toBe(403);
    const restored = await t.call("POST", `/api/v1/notebooks/${notebook.id}/restore`, {
      as: alice,
      via: "token",
    });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: notebook.id, name: "Churn model", cellCount: 2 });
    expect(await listNames()).toContain("Churn model");
    const document = await t.call("GET", `/api/v1/notebooks/${notebook.id}`, { as: alice, via: "token" });
    expect(document.status).toBe(200);
    // Restoring something not in the trash says so.
    const twice = await t.call("POST", `/api/v1/notebooks/${notebook.id}/restore`, {
      as: alice,
      via: "token",
    });
    expect(twice.status).toBe(409);
  });

  it("frees the name while trashed, and restores as '<name> (2)' when it was taken meanwhile", async () => {
    const old = await create("Dashboard");
    await t.call("DELETE", `/api/v1/notebooks/${old.id}`, { as: alice, via: "token" });
    expect((await create("Dashboard")).name).toBe("Dashboard");
    const restored = await t.call("POST", `/api/v1/notebooks/${old.id}/restore`, { as: alice, via: "token" });
    expect(restored.body.name).toBe("Dashboard (2)");
  });

  it("deletes forever only from the trash, with outputs and stars", async () => {
    const notebook = await create("Scratch", ipynb);
    const early = await t.call("DELETE", `/api/v1/notebooks/${notebook.id}/forever`, {
      as: alice,
      via: "token",
    });
    expect(early.status).toBe(409);
    await t.call("POST", `/api/v1/notebooks/${notebook.id}/star`, { as: alice, via: "token" });
    await t.call("DELETE", `/api/v1/notebooks/${notebook.id}`, { as: alice, via: "token" });
    const gone = await t.call("DELETE", `/api/v1/notebooks/${notebook.id}/forever`, {
      as: alice,
      via: "token",
    });
    expect(gone.status).toBe(200);
    expect(await t.prisma.notebook.findUnique({ where: { id: notebook.id } })).toBeNull();
    expect(await t.prisma.cellOutput.count({ where: { notebookId: notebook.id } })).toBe(0);
    expect(await t.prisma.star.count({ where: { subjectType: "notebook", subjectId: notebook.id } })).toBe(0);
    const after = await t.call("GET", `/api/v1/notebooks/${notebook.id}`, { as: alice, via: "token" });
    expect(after.status).toBe(404);
    expect(after.body.error).toMatchObject({ message: expect.not.stringContaining("trash") });
  });

  it("purges notebooks trashed more than 30 days ago when the project is listed, and keeps newer ones", async () => {
    const old = await create("Ancient");
    const recent = await create("Recent");
    await t.call("DELETE", `/api/v1/notebooks/${old.id}`, { as: alice, via: "token" });
    await t.call("DELETE", `/api/v1/notebooks/${recent.id}`, { as: alice, via: "token" });
    const day = 86_400_000;
    await t.prisma.notebook.update({
      where: { id: old.id },
      data: { deletedAt: new Date(Date.now() - (TRASH_RETENTION_DAYS + 1) * day) },
    });
    await t.prisma.notebook.update({
      where: { id: recent.id },
      data: { deletedAt: new Date(Date.now() - (TRASH_RETENTION_DAYS - 1) * day) },
    });
    const trash = await t.call("GET", `/api/v1/projects/${projectId}/trash`, { as: alice, via: "token" });
    const ids = (trash.body.notebooks as { id: string }[]).map((entry) => entry.id);
    expect(ids).toContain(recent.id);
    expect(ids).not.toContain(old.id);
    expect(await t.prisma.notebook.findUnique({ where: { id: old.id } })).toBeNull();
    // Nothing left to purge: a second pass deletes nothing.
    expect(await purgeExpiredTrash(t.prisma, projectId)).toEqual([]);
  });

  it("takes a published notebook off the community while trashed and brings it back on restore", async () => {
    const notebook = await create("Public analysis", ipynb);
    const published = await t.call("POST", `/api/v1/notebooks/${notebook.id}/publish`, {
      as: alice,
      via: "token",
    });
    expect(published.status).toBe(200);
    const anonymousBefore = await t.call("GET", `/api/v1/notebooks/${notebook.id}/published`);
    expect(anonymousBefore.status).toBe(200);
    await t.call("DELETE", `/api/v1/notebooks/${notebook.id}`, { as: alice, via: "token" });
    const anonymous = await t.call("GET", `/api/v1/notebooks/${notebook.id}/published`);
    expect(anonymous.status).toBe(401);
    const stranger = await t.signUp("Stranger");
    const outsider = await t.call("GET", `/api/v1/notebooks/${notebook.id}/published`, {
      as: stranger,
      via: "token",
    });
    expect(outsider.status).toBe(404);
    expect(outsider.body.error).toMatchObject({ message: expect.not.stringContaining("trash") });
    const strangerProject = (
      await t.call("POST", "/api/v1/projects", { as: stranger, via: "token", json: { name: "Mine" } })
    ).body.id as string;
    const fork = await t.call("POST", `/api/v1/notebooks/${notebook.id}/fork`, {
      as: stranger,
      via: "token",
      json: { projectId: strangerProject },
    });
    expect(fork.status).toBe(404);
    const community = await t.call("GET", "/api/v1/community?q=Public%20analysis");
    expect(JSON.stringify(community.body)).not.toContain(notebook.id);
    await t.call("POST", `/api/v1/notebooks/${notebook.id}/restore`, { as: alice, via: "token" });
    const back = await t.call("GET", `/api/v1/notebooks/${notebook.id}/published`);
    expect(back.status).toBe(200);
  });
});
