// Issue 4: every notebook of the corpus imports and renders in Chromium without a page error.
// Each file is imported through the REST route, opened, and checked: every cell is on the page,
// every output area of a code cell with outputs has content, no uncaught error, no script or
// eval blocked by the CSP. Failures are collected and reported by file name, all at once.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, demoProjectId } from "./notebook-fixtures";

const CORPUS = path.resolve(import.meta.dirname, "../../shared/corpus/notebooks");

function corpusFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ipynb")) found.push(full);
    }
  };
  walk(CORPUS);
  return found.sort();
}

type TIpynb = { cells: { cell_type: string; outputs?: unknown[] }[] };

test("every corpus notebook imports and renders without a page error", async ({ page, request }) => {
  const files = corpusFiles();
  expect(files.length, `notebooks under ${CORPUS}`).toBeGreaterThan(0);
  test.setTimeout(60_000 + files.length * 20_000);
  await signInAsDemo(page);
  const projectId = await demoProjectId(request);

  let current = "";
  const problems = new Map<string, string[]>();
  const report = (problem: string) => {
    const list = problems.get(current) ?? [];
    list.push(problem.slice(0, 300));
    problems.set(current, list);
  };
  page.on("pageerror", (error) => report(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // Markdown may point at images the notebook's authors kept next to it, or on other sites:
    // a 404 or an image the CSP keeps out is the policy working, not a rendering error.
    if (/Failed to load resource|Refused to load the image/i.test(text)) return;
    if (message.type() === "error" || /Content Security Policy|unsafe-eval/i.test(text))
      report(`console: ${text}`);
  });

  for (const file of files) {
    current = path.relative(CORPUS, file);
    const bytes = readFileSync(file);
    const notebook = JSON.parse(bytes.toString("utf8")) as TIpynb;
    const imported = await request.post(
      `/api/v1/projects/${projectId}/notebooks/import?${new URLSearchParams({ name: path.basename(file) })}`,
      { headers: { ...AUTH, "content-type": "application/x-ipynb+json" }, data: bytes },
    );
    if (imported.status() !== 201) {
      report(`import answered ${imported.status()}: ${await imported.text()}`);
      continue;
    }
    const { id } = (await imported.json()) as { id: string };
    await page.goto(`/projects/${projectId}/notebooks/${id}`);
    const cells = page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');
    try {
      await expect(cells).toHaveCount(notebook.cells.length, { timeout: 15_000 });
    } catch {
      report(`shows ${await cells.count()} cells of ${notebook.cells.length}`);
      continue;
    }
    const withOutputs = notebook.cells
      .map((cell, index) => ({ index, count: cell.outputs?.length ?? 0 }))
      .filter((cell) => cell.count > 0);
    for (const { index } of withOutputs) {
      const outputs = cells.nth(index).locator(".nb-outputs");
      if ((await outputs.count()) === 0 || (await outputs.first().locator("*").count()) === 0)
        report(`cell ${index + 1} has outputs but none rendered`);
    }
  }
  const summary = [...problems].map(([file, list]) => `${file}:\n  ${list.join("\n  ")}`).join("\n");
  expect(summary, `${problems.size} of ${files.length} notebooks had problems`).toBe("");
});
