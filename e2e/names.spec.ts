// SECURITY.md case 9: names of projects, notebooks and charts, headings, comment bodies and
// activity entries that carry HTML show as text everywhere; nothing in them runs.
import { expect, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH } from "./notebook-fixtures";

const EVIL = '"><svg onload=alert(1)><img src=x onerror=alert(2)>';

test("HTML in names, headings, comments and the feed is shown as text", async ({ page, request }) => {
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const project = await request.post("/api/v1/projects", {
    headers: AUTH,
    data: { name: `P ${EVIL}`, description: EVIL },
  });
  expect(project.status()).toBe(201);
  const projectId = ((await project.json()) as { id: string }).id;
  const notebook = await request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers: AUTH,
    data: {
      name: `N ${EVIL}`,
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ id: "h", cell_type: "markdown", source: `# Heading ${EVIL}`, metadata: {} }],
      },
    },
  });
  const notebookId = ((await notebook.json()) as { id: string }).id;
  await request.post(`/api/v1/projects/${projectId}/charts`, {
    headers: AUTH,
    data: {
      title: `C ${EVIL}`,
      spec: { mark: "point", data: { values: [{ a: 1 }] }, encoding: { x: { field: "a" } } },
    },
  });
  await request.post(`/api/v1/notebooks/${notebookId}/comments`, {
    headers: AUTH,
    data: { cellId: "h", body: `Comment ${EVIL}` },
  });

  await signInAsDemo(page);
  await expect(page.getByText(`P ${EVIL}`)).toBeVisible();
  await page.goto(`/projects/${projectId}`);
  await expect(page.getByRole("heading", { name: `P ${EVIL}` })).toBeVisible();
  await expect(page.getByText(`N ${EVIL}`)).toBeVisible();
  await page.getByRole("tab", { name: "Charts" }).click();
  await expect(page.getByText(`C ${EVIL}`)).toBeVisible();
  await page.getByRole("tab", { name: "Activity" }).click();
  await expect(
    page
      .getByTestId("activity-entry")
      .filter({ hasText: `N ${EVIL}` })
      .first(),
  ).toBeVisible();
  await page.goto(`/projects/${projectId}/notebooks/${notebookId}`);
  await page
    .locator('[data-cell-id="h"]')
    .getByRole("button", { name: /Comments/ })
    .click();
  await expect(page.getByTestId("comment-thread")).toContainText(`Comment ${EVIL}`);
  // No element from the payloads exists anywhere in the page.
  expect(await page.locator('svg[onload], img[onerror], img[src="x"]').count()).toBe(0);
  expect(dialogs).toEqual([]);
});
