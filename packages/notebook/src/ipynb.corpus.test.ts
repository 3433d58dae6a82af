/**
 * Round trip over real notebooks: the 67 notebooks of the Python Data Science Handbook, read from
 * the shared corpus (never copied into the repository). FLINT_CORPUS_DIR points at the corpus
 * root (the folder holding `notebooks/`); by default it is `../shared/corpus` next to the repository.
 */

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exportIpynb, parseIpynb, serializeIpynb } from "./ipynb";
import { stringifyLikeJupyter } from "./json-text";

const corpusRoot =
  process.env.FLINT_CORPUS_DIR ??
  path.resolve(fileURLToPath(import.meta.url), "../../../../../shared/corpus");
const folder = path.join(corpusRoot, "notebooks", "python-data-science-handbook");
const files = readdirSync(folder)
  .filter((name) => name.endsWith(".ipynb"))
  .sort();

describe(`ipynb round trip over ${folder}`, () => {
  it("finds the notebooks", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)("%s: export(parse(file)) equals the file, ids added and minor 5", (name) => {
    const bytes = readFileSync(path.join(folder, name));
    const result = parseIpynb(new Uint8Array(bytes));
    if (!result.ok) throw new Error(`${name} was rejected: ${result.error}`);
    // Real notebooks keep every output: nothing is replaced by an import notice.
    expect(result.replaced).toEqual([]);
    const exported = exportIpynb(result.notebook);

    const original = JSON.parse(bytes.toString("utf8"));
    const originalIds = original.cells.map((cell: { id?: string }) => cell.id);
    const expected = {
      ...original,
      nbformat_minor: 5,
      cells: original.cells.map((cell: Record<string, unknown>, index: number) => ({
        ...cell,
        id: cell.id ?? exported.cells[index]?.id,
      })),
    };
    expect(exported).toStrictEqual(expected);
    // Ids the file had are kept; the others are new and valid.
    exported.cells.forEach((cell, index) => {
      if (originalIds[index] !== undefined) expect(cell.id).toBe(originalIds[index]);
      else expect(cell.id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    });
    // The text written is byte for byte what Jupyter would write for the same notebook.
    expect(serializeIpynb(result.notebook)).toBe(`${stringifyLikeJupyter(expected)}\n`);
  });

  it.each(files)("%s: the serializer writes the file's exact bytes", (name) => {
    const text = readFileSync(path.join(folder, name), "utf8");
    expect(`${stringifyLikeJupyter(JSON.parse(text))}\n`).toBe(text);
  });
});
