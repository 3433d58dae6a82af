// Publishing a notebook publishes a snapshot (SECURITY.md case 34): the public reads the name,
// sources and outputs as they were when an admin published, through every route it can reach,
// until the admin publishes again; a public chart tells nothing of its source notebook.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Prisma } from "@flint/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let admin: TTestUser;
let viewer: TTestUser;
let outsider: TTestUser;
let projectId: string;
let notebookId: string;

const TABLE_HTML = "<table><tr><th>q</th><th>revenue</th></tr><tr><td>Q1</td><td>10</td></tr></table>";

type TCell = { id: string; cell_type: string; source: string | string[]; outputs?: unknown[] };
type TDocument = { name: string; version: number; notebook: { cells: TCell[] } };

const sourceOf = (cell: TCell | undefined) =>
  Array.isArray(cell?.source) ? cell.source.join("") : (cell?.source ?? "");

function notebookJson(heading: string, code: string) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { id: "intro", cell_type: "markdown", source: `# ${heading}\n\nWhere $x^2$ grows.`, metadata: {} },
      {
        id: "table",
        cell_type: "code",
        source: code,
        metadata: {},
        execution_count: 1,
        outputs: [
          {
            output_type: "display_data",
            data: { "text/html": TABLE_HTML, "text/plain": "q revenue" },
            metadata: {},
          },
        ],
      },
    ],
  };
}

/** Replaces a cell's outputs the way the execution broker does after a run. */
async function rerunCell(cellId: string, html: string): Promise<void> {
  await t.prisma.cellOutput.update({
    where: { notebookId_cellId: { notebookId, cellId } },
    data: {
      executionCount: 2,
      outputs: [
        { output_type: "display_data", data: { "text/html": html }, metadata: {} },
      ] as Prisma.InputJsonValue,
    },
  });
}

async function edit(heading: string, code: string, name: string): Promise<void> {
  const current = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { as: admin, via: "token" });
  const saved = await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
    as: admin,
    via: "token",
    json: { version: current.body.version, name, notebook: notebookJson(heading, code) },
  });
  expect(saved.status, saved.text).toBe(200);
}

beforeAll(async () => {
  t = await createTestApi();
  admin = await t.signUp("Ada");
  viewer = await t.signUp("Vic");
  outsider = await t.signUp("Oz");
  projectId = (
    await t.call("POST", "/api/v1/projects", { as: admin, via: "token", json: { name: "Reports" } })
  ).body.id as string;
  await t.call("POST", `/api/v1/projects/${projectId}/members`, {
    as: admin,
    via: "token",
    json: { email: viewer.email, role: "viewer" },
  });
  const created = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
    as: admin,
    via: "token",
    json: { name: "Q1 report", notebook: notebookJson("Revenue", "show(revenue)") },
  });
  notebookId = created.body.id as string;
});
afterAll(async () => t.close());

describe("a published notebook is a snapshot (SECURITY.md case 34)", () => {
  it("shows the public what was published, not later edits or runs, until it is republished", async () => {
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}/published`)).status).toBe(401);
    const unpublished = await t.call("GET", `/api/v1/notebooks/${notebookId}/published`, {
      as: admin,
      via: "token",
    });
    expect(unpublished.status).toBe(404);
    expect(unpublished.body.error).toMatchObject({ message: "This notebook is not published." });

    expect(
      (await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: viewer, via: "token" })).status,
    ).toBe(403);
    const published = await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, {
      as: admin,
      via: "token",
    });
    expect(published.body).toEqual({ published: true });

    const first = await t.call("GET", `/api/v1/notebooks/${notebookId}/published`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: notebookId, name: "Q1 report", version: 1, author: "Ada" });
    const firstCells = (first.body as unknown as TDocument).notebook.cells;
    expect(sourceOf(firstCells[0])).toContain("# Revenue");
    expect(JSON.stringify(firstCells[1]?.outputs)).toContain("<td>Q1</td>");

    // The admin renames and edits the notebook, and a run replaces the table.
    await edit("Draft: revenue is down", "show(secret_forecast)", "Q1 report (draft)");
    await rerunCell("table", "<p>unreleased forecast</p>");

    // Every public read still gives the snapshot: the community page's route, the notebook route,
    // the .ipynb download and the community list.
    for (const url of [`/api/v1/notebooks/${notebookId}/published`, `/api/v1/notebooks/${notebookId}`]) {
      const response = await t.call("GET", url);
      expect(response.status, url).toBe(200);
      const document = response.body as unknown as TDocument;
      expect(document.name, url).toBe("Q1 report");
      expect(document.version, url).toBe(1);
      expect(sourceOf(document.notebook.cells[0]), url).toContain("# Revenue");
      expect(response.text, url).not.toMatch(/Draft|secret_forecast|unreleased forecast/);
      expect(JSON.stringify(document.notebook.cells[1]?.outputs), url).toContain("<td>Q1</td>");
    }
    const file = await t.call("GET", `/api/v1/notebooks/${notebookId}/export`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toContain('filename="Q1 report.ipynb"');
    expect(file.text).toContain("show(revenue)");
    expect(file.text).not.toMatch(/Draft|secret_forecast|unreleased forecast/);
    const listed = await t.call("GET", "/api/v1/community?type=notebook");
    expect(listed.body.items).toContainEqual(expect.objectContaining({ id: notebookId, title: "Q1 report" }));
    expect(
      ((await t.call("GET", "/api/v1/community?q=draft")).body.items as { id: string }[]).map(
        (item) => item.id,
      ),
    ).not.toContain(notebookId);
    // A signed-in outsider is a public reader too.
    const asOutsider = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { as: outsider, via: "token" });
    expect(asOutsider.text).not.toMatch(/Draft|secret_forecast|unreleased forecast/);

    // Members work on the live notebook, and see on the public page what the public sees.
    const live = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { as: viewer, via: "token" });
    expect(live.body).toMatchObject({ name: "Q1 report (draft)", version: 2, publishedVersion: 1 });
    expect(live.text).toContain("secret_forecast");
    const publicPage = await t.call("GET", `/api/v1/notebooks/${notebookId}/published`, {
      as: viewer,
      via: "token",
    });
    expect(publicPage.text).not.toMatch(/Draft|secret_forecast|unreleased forecast/);

    // An outsider's fork copies the snapshot, outputs included, not the live notebook.
    const ownProject = (
      await t.call("POST", "/api/v1/projects", { as: outsider, via: "token", json: { name: "Mine" } })
    ).body.id as string;
    const fork = await t.call("POST", `/api/v1/notebooks/${notebookId}/fork`, {
      as: outsider,
      via: "token",
      json: { projectId: ownProject },
    });
    expect(fork.status).toBe(201);
    expect(fork.body.name).toBe("Q1 report (fork)");
    const forked = await t.call("GET", `/api/v1/notebooks/${fork.body.id}`, { as: outsider, via: "token" });
    expect(forked.text).toContain("show(revenue)");
    expect(forked.text).toContain("<td>Q1</td>");
    expect(forked.text).not.toMatch(/Draft|secret_forecast|unreleased forecast/);

    // Republishing replaces the snapshot with the notebook as it is now.
    await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: admin, via: "token" });
    const second = await t.call("GET", `/api/v1/notebooks/${notebookId}/published`);
    expect(second.body).toMatchObject({ name: "Q1 report (draft)", version: 2 });
    expect(second.text).toContain("Draft: revenue is down");
    expect(second.text).toContain("unreleased forecast");
    const feed = await t.call("GET", `/api/v1/projects/${projectId}/activity`, { as: admin, via: "token" });
    expect(
      (feed.body.items as { kind: string; details: Record<string, unknown> }[])
        .filter((entry) => entry.kind === "notebook.published")
        .map((entry) => [entry.details.version, entry.details.republished]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);

    // Unpublishing drops the snapshot: nothing is left for the public.
    await t.call("DELETE", `/api/v1/notebooks/${notebookId}/publish`, { as: admin, via: "token" });
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}/published`)).status).toBe(401);
    expect((await t.call("GET", `/api/v1/notebooks/${notebookId}`)).status).toBe(401);
    const row = await t.prisma.notebook.findUniqueOrThrow({
      where: { id: notebookId },
      select: { publishedAt: true, publishedName: true, publishedVersion: true, publishedSnapshot: true },
    });
    expect(row).toEqual({
      publishedAt: null,
      publishedName: null,
      publishedVersion: null,
      publishedSnapshot: null,
    });
  });

  it("cannot be marked published without a snapshot (the public would read it live)", async () => {
    const other = await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: admin,
      via: "token",
      json: { name: "Never published" },
    });
    await expect(
      t.prisma.notebook.update({ where: { id: other.body.id as string }, data: { publishedAt: new Date() } }),
    ).rejects.toThrow(/notebook_published_snapshot_check/);
  });

  it("backfills notebooks published before snapshots existed with the snapshot publishing takes", async () => {
    await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { as: admin, via: "token" });
    const select = { publishedName: true, publishedVersion: true, publishedSnapshot: true } as const;
    const taken = await t.prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select });
    // The migration's UPDATE, run again over what is now published, must write the same snapshot.
    const migration = readFileSync(
      fileURLToPath(
        new URL(
          "../../../prisma/migrations/20261208000000_notebook_published_snapshot/migration.sql",
          import.meta.url,
        ),
      ),
      "utf8",
    );
    const backfill = migration
      .split(";")
      .map((statement) => statement.replace(/^\s*--.*$/gm, "").trim())
      .find((statement) => statement.startsWith("UPDATE"));
    expect(backfill).toBeDefined();
    await t.prisma.notebook.update({
      where: { id: notebookId },
      data: { publishedSnapshot: { stale: true }, publishedName: "stale", publishedVersion: 0 },
      select: { id: true },
    });
    await t.prisma.$executeRawUnsafe(backfill!);
    expect(await t.prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select })).toEqual(taken);
  });
});

describe("a published chart (SECURITY.md case 34)", () => {
  it("shows the public its drawing, and nothing of the notebook it came from", async () => {
    const spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      mark: "bar",
      data: { values: [{ q: "Q1", revenue: 10 }] },
      encoding: { x: { field: "q", type: "nominal" }, y: { field: "revenue", type: "quantitative" } },
      usermeta: {
        flint: { source: "revenue", query: "SELECT q, sum(amount) FROM private_ledger GROUP BY q" },
        note: "kept",
      },
    };
    const chart = await t.call("POST", `/api/v1/projects/${projectId}/charts`, {
      as: admin,
      via: "token",
      json: { title: "Revenue", spec, sourceNotebookId: notebookId, sourceCellId: "table" },
    });
    expect(chart.status).toBe(201);
    await t.call("POST", `/api/v1/charts/${chart.body.id}/publish`, { as: admin, via: "token" });

    const anonymous = await t.call("GET", `/api/v1/charts/${chart.body.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({ title: "Revenue", sourceNotebook: null, sourceCellId: null });
    expect(anonymous.body.spec).toMatchObject({ mark: "bar", usermeta: { note: "kept" } });
    expect(anonymous.text).not.toMatch(/private_ledger|Q1 report|"table"/);

    const member = await t.call("GET", `/api/v1/charts/${chart.body.id}`, { as: viewer, via: "token" });
    expect(member.body).toMatchObject({ sourceNotebook: { id: notebookId }, sourceCellId: "table" });
    expect(member.text).toContain("private_ledger");
  });
});
