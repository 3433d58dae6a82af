import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let alice: TTestUser;
let projectId: string;

const ipynb = {
  nbformat: 4,
  nbformat_minor: 4,
  metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
  cells: [
    { cell_type: "markdown", metadata: {}, source: ["# Title\n", "text"] },
    {
      cell_type: "code",
      metadata: {},
      execution_count: 3,
      source: "print('hi')",
      outputs: [{ output_type: "stream", name: "stdout", text: ["hi\n"] }],
    },
  ],
};

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  const project = await t.call("POST", "/api/v1/projects", {
    as: alice,
    via: "token",
    json: { name: "Notebooks" },
  });
  projectId = project.body.id as string;
});
afterAll(async () => t.close());

describe("notebook documents", () => {
  it("creates an empty notebook and lists it", async () => {
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Empty" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Empty", version: 1 });
    const list = await t.call("GET", `/api/v1/projects/${projectId}/notebooks`, { as: alice, via: "token" });
    expect((list.body.notebooks as { id: string }[]).map((notebook) => notebook.id)).toContain(
      created.body.id,
    );
  });

  it("creates from nbformat JSON and returns it as nbformat 4.5 with its outputs and ids", async () => {
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Imported", notebook: ipynb },
    });
    expect(created.status).toBe(201);
    const got = await t.call("GET", `/api/v1/notebooks/${created.body.id}`, { as: alice, via: "token" });
    expect(got.status).toBe(200);
    const notebook = got.body.notebook as {
      nbformat_minor: number;
      cells: { id: string; source: unknown; outputs?: unknown; execution_count?: number }[];
    };
    expect(notebook.nbformat_minor).toBe(5);
    expect(notebook.cells).toHaveLength(2);
    expect(notebook.cells[0]?.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(notebook.cells[0]?.source).toEqual(["# Title\n", "text"]);
    expect(notebook.cells[1]?.execution_count).toBe(3);
    expect(notebook.cells[1]?.outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["hi\n"] }]);
  });

  it("keeps run times with the outputs: read from JupyterLab's metadata.execution, shown and exported, never saved in the document", async () => {
    const timed = structuredClone(ipynb) as { cells: { metadata: Record<string, unknown> }[] };
    timed.cells[1]!.metadata = {
      tags: ["keep"],
      execution: {
        "iopub.execute_input": "2026-03-02T14:02:00.100Z",
        "iopub.status.busy": "2026-03-02T14:02:00.050Z",
        "shell.execute_reply": "2026-03-02T14:02:02.200Z",
      },
    };
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Timed", notebook: timed },
    });
    const id = created.body.id as string;
    const doc = (await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" })).body;
    const cells = (doc.notebook as { cells: { id: string; metadata: Record<string, unknown> }[] }).cells;
    const codeId = cells[1]!.id;
    // The page gets the times beside the document (like statuses), not in the cell's metadata.
    expect(cells[1]!.metadata).toEqual({ tags: ["keep"] });
    expect(doc.cellExecution).toEqual({
      [codeId]: { startedAt: "2026-03-02T14:02:00.100Z", endedAt: "2026-03-02T14:02:02.200Z", ranBy: null },
    });
    // A save that sends metadata.execution (an old tab, a script) does not put it in the document.
    const edited = structuredClone(doc.notebook) as { cells: { metadata: Record<string, unknown> }[] };
    edited.cells[1]!.metadata = {
      tags: ["keep"],
      execution: { "iopub.execute_input": "2020-01-01T00:00:00Z" },
    };
    const saved = await t.call("PUT", `/api/v1/notebooks/${id}`, {
      as: alice,
      via: "token",
      json: { version: 1, notebook: edited },
    });
    expect(saved.status).toBe(200);
    const stored = await t.prisma.notebook.findUniqueOrThrow({ where: { id }, select: { cells: true } });
    expect(JSON.stringify(stored.cells)).not.toContain("execution");
    // The downloaded file carries them as JupyterLab writes them (the two keys Flint keeps).
    const exported = await t.call("GET", `/api/v1/notebooks/${id}/export`, { as: alice, via: "token" });
    const file = JSON.parse(exported.text) as { cells: { metadata: Record<string, unknown> }[] };
    expect(file.cells[1]!.metadata).toEqual({
      tags: ["keep"],
      execution: {
        "iopub.execute_input": "2026-03-02T14:02:00.100Z",
        "shell.execute_reply": "2026-03-02T14:02:02.200Z",
      },
    });
    expect(file.cells[0]!.metadata).toEqual({});
  });

  it("rejects an invalid notebook with a 400 that says what is wrong, and writes nothing", async () => {
    const before = await t.prisma.notebook.count();
    const bad = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Bad", notebook: { nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] } },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toMatch(/nbformat 3/);
    expect(await t.prisma.notebook.count()).toBe(before);
  });

  it("saves by compare-and-swap: a stale version gets 409 with the current version, nothing is lost", async () => {
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "CAS", notebook: ipynb },
    });
    const id = created.body.id as string;
    const doc = (await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" })).body;
    const edit = (text: string) => {
      const notebook = structuredClone(doc.notebook) as { cells: { source: unknown }[] };
      if (notebook.cells[1]) notebook.cells[1].source = text;
      return notebook;
    };
    const first = await t.call("PUT", `/api/v1/notebooks/${id}`, {
      as: alice,
      via: "token",
      json: { version: 1, notebook: edit("print('X')") },
    });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const second = await t.call("PUT", `/api/v1/notebooks/${id}`, {
      as: alice,
      via: "token",
      json: { version: 1, notebook: edit("print('Y')") },
    });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: "conflict", currentVersion: 2 });
    const now = await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" });
    const cells = (now.body.notebook as { cells: { source: unknown; outputs?: unknown[] }[] }).cells;
    expect(cells[1]?.source).toEqual(["print('X')"]);
    // Outputs belong to the broker: a save keeps them.
    expect(cells[1]?.outputs).toHaveLength(1);
  });

  it("races two saves on one version: exactly one wins", async () => {
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Race", notebook: ipynb },
    });
    const id = created.body.id as string;
    const doc = (await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" })).body;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        t.call("PUT", `/api/v1/notebooks/${id}`, {
          as: alice,
          via: "token",
          json: { version: 1, notebook: doc.notebook },
        }),
      ),
    );
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409, 409]);
  });
});

describe("checkpoints and the activity feed", () => {
  it("creates, lists and restores a named version, and the feed tells the story newest first", async () => {
    const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: alice,
      via: "token",
      json: { name: "Versions", notebook: ipynb },
    });
    const id = created.body.id as string;
    const checkpoint = await t.call("POST", `/api/v1/notebooks/${id}/checkpoints`, {
      as: alice,
      via: "token",
      json: { name: "before edits" },
    });
    expect(checkpoint.status).toBe(201);
    const doc = (await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" })).body;
    const edited = structuredClone(doc.notebook) as { cells: { source: unknown }[] };
    edited.cells = edited.cells.slice(0, 1);
    expect(
      (
        await t.call("PUT", `/api/v1/notebooks/${id}`, {
          as: alice,
          via: "token",
          json: { version: 1, notebook: edited },
        })
      ).status,
    ).toBe(200);
    const list = await t.call("GET", `/api/v1/notebooks/${id}/checkpoints`, { as: alice, via: "token" });
    expect((list.body.checkpoints as { name: string }[]).map((entry) => entry.name)).toEqual([
      "before edits",
    ]);
    const stale = await t.call("POST", `/api/v1/notebooks/${id}/checkpoints/${checkpoint.body.id}/restore`, {
      as: alice,
      via: "token",
      json: { version: 1 },
    });
    expect(stale.status).toBe(409);
    const restored = await t.call(
      "POST",
      `/api/v1/notebooks/${id}/checkpoints/${checkpoint.body.id}/restore`,
      { as: alice, via: "token", json: { version: 2 } },
    );
    expect(restored.status).toBe(200);
    expect(restored.body.version).toBe(3);
    const after = (await t.call("GET", `/api/v1/notebooks/${id}`, { as: alice, via: "token" })).body
      .notebook as { cells: { outputs?: unknown[] }[] };
    expect(after.cells).toHaveLength(2);
    expect(after.cells[1]?.outputs).toHaveLength(1);

    const feed = await t.call("GET", `/api/v1/projects/${projectId}/activity?limit=3`, {
      as: alice,
      via: "token",
    });
    const kinds = (feed.body.items as { kind: string }[]).map((item) => item.kind);
    expect(kinds).toEqual(["notebook.restored", "notebook.edited", "notebook.checkpoint"]);
    const next = await t.call(
      "GET",
      `/api/v1/projects/${projectId}/activity?limit=3&before=${feed.body.nextCursor}`,
      { as: alice, via: "token" },
    );
    expect((next.body.items as { kind: string }[])[0]?.kind).toBe("notebook.created");
    expect(
      (
        await t.call("GET", `/api/v1/projects/${projectId}/activity?before=garbage`, {
          as: alice,
          via: "token",
        })
      ).status,
    ).toBe(400);
  });
});
