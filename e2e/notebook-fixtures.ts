// Shared steps of the notebook specs: create notebooks through the REST API with the demo user's
// token (bearer calls need no Origin, so Playwright's `request` works), edit cells.
import { type APIRequestContext, expect, type Locator, type Page } from "@playwright/test";
import { E2E_DEMO_TOKEN } from "./global-setup";

export const AUTH = { authorization: `Bearer ${E2E_DEMO_TOKEN}` };

/** Clicks a cell's source to edit it and waits until Monaco has focus, so no keystroke is lost. */
export async function editCell(page: Page, cell: Locator): Promise<void> {
  // With two tabs open, only the front one gets keyboard focus.
  await page.bringToFront();
  await cell.locator(".nb-source").click();
  await expect(cell.locator(".monaco-editor.focused")).toBeVisible();
}

export async function demoProjectId(request: APIRequestContext): Promise<string> {
  const response = await request.get("/api/v1/projects", { headers: AUTH });
  expect(response.ok()).toBe(true);
  const body = (await response.json()) as { projects: { id: string; name: string }[] };
  // The seed's "Getting started" project; other specs may have made more.
  const project = body.projects.find((entry) => entry.name === "Getting started") ?? body.projects[0];
  if (!project) throw new Error("the demo user has no project");
  return project.id;
}

/** Code of a DataFrame like DSX's `%brunel` example: VOLUME, WEIGHT and AUTH (four authors). */
export const DSX_FRAME_LINES = [
  "import pandas as pd",
  "df = pd.DataFrame({",
  '    "VOLUME": [412, 388, 295, 510, 620, 701, 455, 380],',
  '    "WEIGHT": [1.2, 1.1, 0.8, 1.6, 1.9, 2.2, 1.3, 1.0],',
  '    "AUTH": ["Austen", "Austen", "Dickens", "Dickens", "Eliot", "Eliot", "Tolstoy", "Tolstoy"],',
  "})",
];

export type TTestCell =
  | {
      cell_type: "code";
      source: string;
      outputs?: unknown[];
      execution_count?: number | null;
      id?: string;
      metadata?: Record<string, unknown>;
    }
  | { cell_type: "markdown"; source: string; id?: string };

/** Creates a notebook from cells (nbformat 4.5) and returns its page path and id. */
export async function createNotebook(
  request: APIRequestContext,
  name: string,
  cells: TTestCell[],
): Promise<{ id: string; projectId: string; path: string }> {
  const projectId = await demoProjectId(request);
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" },
      language_info: { name: "python" },
    },
    cells: cells.map((cell, index) => ({
      id: cell.id ?? `cell-${index + 1}`,
      metadata: {},
      ...(cell.cell_type === "code" ? { outputs: [], execution_count: null, ...cell } : { ...cell }),
    })),
  };
  const response = await request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers: AUTH,
    data: { name, notebook },
  });
  expect(response.status(), await response.text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  return { id, projectId, path: `/projects/${projectId}/notebooks/${id}` };
}

/** Collects console messages that report a Content-Security-Policy violation. */
export function collectCspErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (execute|load|create|apply)/i.test(text)) errors.push(text);
  });
  page.on("pageerror", (error) => {
    if (/Content Security Policy|unsafe-eval/i.test(error.message)) errors.push(error.message);
  });
  return errors;
}
