// Every notebook of the corpus imports through the API, is stored in PostgreSQL, and exports
// equal as JSON (up to key order, the nbformat minor upgrade and the cell ids added).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

const corpus =
  process.env.FLINT_CORPUS_DIR ??
  path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    "../../../../shared/corpus/notebooks/python-data-science-handbook",
  );

let t: TTestApi;
let alice: TTestUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  projectId = (
    await t.call("POST", "/api/v1/projects", { as: alice, via: "token", json: { name: "Corpus" } })
  ).body.id as string;
});
afterAll(async () => t.close());

function withoutIds(notebook: Record<string, unknown>): Record<string, unknown> {
  const cells = (notebook.cells as Record<string, unknown>[]).map(({ id: _id, ...rest }) => rest);
  return { ...notebook, nbformat_minor: 5, cells };
}

const DEFAULT_KERNELSPEC = { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" };

describe("the .ipynb corpus through import and export", () => {
  it("round-trips every notebook equal as JSON", async () => {
    const files = readdirSync(corpus)
      .filter((file) => file.endsWith(".ipynb"))
      .sort();
    expect(files.length).toBeGreaterThan(60);
    const failures: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(path.join(corpus, file));
      const imported = await t.call("POST", `/api/v1/projects/${projectId}/notebooks/import`, {
        as: alice,
        via: "token",
        body: bytes,
        headers: { "content-type": "application/x-ipynb+json", "x-file-name": file },
      });
      if (imported.status !== 201) {
        failures.push(`${file}: import answered ${imported.status} ${imported.text.slice(0, 200)}`);
        continue;
      }
      expect(imported.body.name).toBe(file.replace(/\.ipynb$/, ""));
      const exported = await t.call("GET", `/api/v1/notebooks/${imported.body.id}/export`, {
        as: alice,
        via: "token",
      });
      if (exported.status !== 200) {
        failures.push(`${file}: export answered ${exported.status}`);
        continue;
      }
      const original = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
      const roundTripped = JSON.parse(exported.text) as Record<string, unknown>;
      try {
        // A kernelspec Flint does not offer ("python3") comes in as Flint's default (docs/spark.md).
        const expected = {
          ...original,
          metadata: { ...(original.metadata as object), kernelspec: DEFAULT_KERNELSPEC },
        };
        expect(withoutIds(roundTripped)).toEqual(withoutIds(expected));
        for (const cell of roundTripped.cells as { id: string }[])
          expect(cell.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      } catch (error) {
        failures.push(`${file}: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers malformed files with a 400 that says what is wrong and writes nothing (SECURITY.md case 25)", async () => {
    const before = await t.prisma.notebook.count();
    const cases: [string, Uint8Array | string, RegExp][] = [
      [
        "nbformat 3",
        JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }),
        /nbformat 3/,
      ],
      ["no cells", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {} }), /cells/],
      ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
      ["deep JSON", "[".repeat(100_000) + "]".repeat(100_000), /deep|nest/i],
      ["not JSON", "this is not json", /JSON/],
    ];
    for (const [label, body, message] of cases) {
      const response = await t.call("POST", `/api/v1/projects/${projectId}/notebooks/import`, {
        as: alice,
        via: "token",
        body: body as BodyInit,
        headers: { "content-type": "application/x-ipynb+json" },
      });
      expect(response.status, label).toBe(400);
      expect((response.body.error as { message: string }).message, label).toMatch(message);
    }
    const path404 = await t.call("POST", "/api/v1/projects/..%2F..%2Fetc/notebooks/import", {
      as: alice,
      via: "token",
      body: "{}",
    });
    expect([400, 404]).toContain(path404.status);
    expect(await t.prisma.notebook.count()).toBe(before);
  });

  it("imports a notebook with a broken image, an invalid MIME bundle and a 60 MB output: notices in their places, the rest unchanged", async () => {
    const png =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\n";
    const kept = [
      { output_type: "stream", name: "stdout", text: ["before\n"] },
      { output_type: "display_data", data: { "image/png": png, "text/plain": ["<Figure>"] }, metadata: {} },
    ];
    const file = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { id: "intro", cell_type: "markdown", metadata: {}, source: ["# Results"] },
        {
          id: "plots",
          cell_type: "code",
          metadata: {},
          execution_count: 1,
          source: ["plot()"],
          outputs: [
            kept[0],
            { output_type: "display_data", data: { "image/png": "not base64 at all!" }, metadata: {} },
            { output_type: "display_data", data: { "text/html": { not: "text" } }, metadata: {} },
            kept[1],
          ],
        },
        {
          id: "big",
          cell_type: "code",
          metadata: {},
          execution_count: 2,
          source: ["dump()"],
          outputs: [{ output_type: "stream", name: "stdout", text: ["HUGE"] }],
        },
      ],
    };
    const body = JSON.stringify(file).replace("HUGE", "x".repeat(60 * 1024 * 1024));
    const imported = await t.call("POST", `/api/v1/projects/${projectId}/notebooks/import`, {
      as: alice,
      via: "token",
      body,
      headers: { "content-type": "application/x-ipynb+json", "x-file-name": "broken.ipynb" },
    });
    expect(imported.status, imported.text.slice(0, 300)).toBe(201);
    expect(imported.body.replaced).toEqual([
      { cell: 2, output: 2, reason: "image/png is not base64" },
      { cell: 2, output: 3, reason: "text/html is not text" },
      { cell: 3, output: 1, reason: "the stdout text is 60 MB, over the 20 MB limit for one output item" },
    ]);
    const exported = await t.call("GET", `/api/v1/notebooks/${imported.body.id}/export`, {
      as: alice,
      via: "token",
    });
    expect(exported.status).toBe(200);
    const cells = (JSON.parse(exported.text) as typeof file).cells;
    expect(cells[0]).toEqual(file.cells[0]);
    const outputs = cells[1]!.outputs as Record<string, unknown>[];
    expect(outputs[0]).toEqual(kept[0]);
    expect(outputs[3]).toEqual(kept[1]);
    for (const notice of [outputs[1], outputs[2], cells[2]!.outputs![0]]) {
      expect(notice).toMatchObject({ output_type: "display_data", metadata: { flint_import_notice: true } });
      expect(JSON.stringify(notice)).toMatch(/could not be imported/);
    }
    expect(exported.text.length).toBeLessThan(1_000_000);
  });
});
