// The notebook page in a real Chromium: Monaco under the page CSP, the Jupyter keyboard model,
// saving, two tabs editing at once (SECURITY.md case 21: merged through the shared document; the
// 409 stays for REST saves) and edits kept in the browser while the server is out of reach (case 22).
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, collectCspErrors, createNotebook, demoProjectId, editCell } from "./notebook-fixtures";

// Direct children only: outputs may hold lists of their own (Spark jobs, markdown).
const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test("the Getting started notebook opens with Monaco and no CSP violation", async ({ page, request }) => {
  const csp = collectCspErrors(page);
  await signInAsDemo(page);
  const projectId = await demoProjectId(request);
  const list = await request.get(`/api/v1/projects/${projectId}/notebooks`, { headers: AUTH });
  const { notebooks } = (await list.json()) as { notebooks: { id: string; name: string }[] };
  const tour = notebooks.find((notebook) => notebook.name === "Welcome to Flint");
  expect(tour, "the seed creates a Getting started notebook").toBeTruthy();
  await page.goto(`/projects/${projectId}/notebooks/${tour!.id}`);
  await expect(cells(page).first().getByRole("heading", { name: "Welcome to Flint" })).toBeVisible();
  // The tour grows as features land; it has at least its first six cells.
  await expect(cells(page).nth(5)).toBeVisible();
  await expect(page.getByTestId("save-state")).toHaveText("Saved");
  // The breadcrumb names the project and leads back to it.
  await expect(
    page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Getting started" }),
  ).toHaveAttribute("href", `/projects/${projectId}`);
  // Icons are drawn, not emoji (which need a font these machines lack).
  await expect(cells(page).first().getByRole("button", { name: "Comments" }).locator("svg")).toBeVisible();
  // Click into the first code cell: Monaco mounts with its editor worker, same origin.
  await editCell(page, cells(page).nth(1));
  const editor = cells(page).nth(1).locator(".monaco-editor");
  await expect(editor).toBeVisible();
  await page.keyboard.type("\nx = 1");
  await expect(editor.locator(".view-lines")).toContainText("x = 1");
  await page.screenshot({ path: "test-results/notebook-getting-started.png", fullPage: true });
  expect(csp).toEqual([]);
});

async function openInCommandMode(page: Page, path: string) {
  await page.goto(path);
  await expect(cells(page).first()).toBeVisible();
  // Clicking a cell's gutter selects it in command mode and focuses it.
  await cells(page).first().locator(".nb-gutter").click();
  await expect(cells(page).first()).toBeFocused();
}

const activeCell = (page: Page) => page.locator('[role="listitem"][aria-current="true"]');

test("keyboard-only editing with Jupyter's command and edit modes", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Keyboard flow", [
    { cell_type: "code", source: "a = 1" },
    { cell_type: "code", source: "b = 2" },
  ]);
  await openInCommandMode(page, path);
  await expect(cells(page)).toHaveCount(2);

  await page.keyboard.press("b");
  await expect(cells(page)).toHaveCount(3);
  await expect(cells(page).nth(1)).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Enter");
  await expect(cells(page).nth(1).locator(".monaco-editor.focused")).toBeVisible();
  await page.keyboard.type("c = 3");
  await page.keyboard.press("Escape");
  await expect(cells(page).nth(1)).toBeFocused();
  await expect(cells(page).nth(1)).toContainText("c = 3");

  await page.keyboard.press("a");
  await expect(cells(page)).toHaveCount(4);
  await expect(cells(page).nth(1)).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("d");
  await page.keyboard.press("d");
  await expect(cells(page)).toHaveCount(3);
  await expect(cells(page).nth(1)).toContainText("c = 3");

  // D D then Z brings the cell back where it was.
  await page.keyboard.press("d");
  await page.keyboard.press("d");
  await expect(cells(page)).toHaveCount(2);
  await page.keyboard.press("z");
  await expect(cells(page)).toHaveCount(3);
  await expect(cells(page).nth(1)).toContainText("c = 3");

  await page.keyboard.press("m");
  await expect(activeCell(page)).toHaveAttribute("aria-label", "Markdown cell");
  await page.keyboard.press("y");
  await expect(activeCell(page)).toHaveAttribute("aria-label", "Code cell");

  await page.keyboard.press("k");
  await expect(cells(page).nth(0)).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("j");
  await page.keyboard.press("ArrowDown");
  await expect(cells(page).nth(2)).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Shift+K");
  await expect(page.locator(".nb-cell-selected")).toHaveCount(2);
  await page.keyboard.press("Escape");
  await expect(page.locator(".nb-cell-selected")).toHaveCount(1);
  await page.keyboard.press("j");
  await expect(cells(page).nth(2)).toHaveAttribute("aria-current", "true");

  // Shift+Enter in edit mode runs and moves on; on the last cell it adds one, like Jupyter.
  await page.keyboard.press("Enter");
  await expect(activeCell(page).locator(".monaco-editor.focused")).toBeVisible();
  await page.keyboard.type("# edited");
  await page.keyboard.press("Shift+Enter");
  await expect(cells(page)).toHaveCount(4);
  await expect(cells(page).nth(3)).toHaveAttribute("aria-current", "true");

  // The palette lists commands with their keys.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Shift+P");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await expect(palette).toBeVisible();
  await expect(palette.getByRole("option", { name: /Delete selected cells/ })).toContainText("D D");
  await page.keyboard.type("insert markdown");
  await page.keyboard.press("Enter");
  await expect(palette).toBeHidden();
  await expect(cells(page)).toHaveCount(5);
  await expect(activeCell(page)).toHaveAttribute("aria-label", "Markdown cell");

  // Everything above was saved: the server has the same sources.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");
  await page.reload();
  await expect(cells(page)).toHaveCount(5);
  await expect(cells(page).nth(1)).toContainText("c = 3");
  await expect(cells(page).nth(2)).toContainText("b = 2# edited");
});

test("typing then Ctrl+S saves; a reload keeps the source", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Save me", [{ cell_type: "code", source: "" }]);
  await page.goto(path);
  await editCell(page, cells(page).first());
  await page.keyboard.type("print('saved with ctrl+s')");
  await expect(page.getByTestId("save-state")).toHaveText("Unsaved changes");
  await page.keyboard.press("Control+s");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");
  const saved = await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH });
  expect(JSON.stringify(await saved.json())).toContain("print('saved with ctrl+s')");
  await page.reload();
  await expect(cells(page).first()).toContainText("print('saved with ctrl+s')");
});

test("autosave happens shortly after the last edit", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Autosave", [{ cell_type: "code", source: "" }]);
  await page.goto(path);
  await editCell(page, cells(page).first());
  await page.keyboard.type("y = 42");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");
  await page.reload();
  await expect(cells(page).first()).toContainText("y = 42");
});

test("leaving by a link right after typing saves the edit; coming back asks nothing", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Leave quickly", [{ cell_type: "code", source: "" }]);
  await page.goto(path);
  await editCell(page, cells(page).first());
  await page.keyboard.type("left = 'in a hurry'", { delay: 40 });
  // At once, well inside the autosave delay, as a person who knows where they are going.
  await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: "Getting started" })
    .click();
  await expect(page.getByRole("tab", { name: "Notebooks" })).toBeVisible();
  await expect
    .poll(async () =>
      JSON.stringify(await (await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH })).json()),
    )
    .toContain("in a hurry");
  await page.goto(path);
  await expect(cells(page).first()).toContainText("left = 'in a hurry'");
  await expect(page.getByRole("dialog")).toHaveCount(0);
});

test("two tabs editing one notebook merge with no conflict dialog; a REST save on an old version still gets 409 (case 21)", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Two tabs", [
    { cell_type: "code", source: "first = 1" },
    { cell_type: "code", source: "second = 2" },
  ]);
  const before = (await (await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH })).json()) as {
    version: number;
  };
  const tabY = await page.context().newPage();
  await page.goto(path);
  await tabY.goto(path);
  await expect(cells(tabY)).toHaveCount(2);

  await editCell(page, cells(page).nth(0));
  await page.keyboard.press("End");
  await page.keyboard.type(" # from X");
  await page.keyboard.press("Control+s");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");

  await editCell(tabY, cells(tabY).nth(1));
  await tabY.keyboard.press("End");
  await tabY.keyboard.type(" # from Y");
  await tabY.keyboard.press("Control+s");
  await expect(tabY.getByTestId("save-state")).toHaveText("Saved");
  await expect(tabY.getByRole("dialog", { name: "Save conflict" })).toHaveCount(0);
  // Both tabs show both edits; the database has both.
  for (const tab of [page, tabY]) {
    await expect(cells(tab).nth(0)).toContainText("first = 1 # from X");
    await expect(cells(tab).nth(1)).toContainText("second = 2 # from Y");
  }
  const body = JSON.stringify(await (await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH })).json());
  expect(body).toContain("first = 1 # from X");
  expect(body).toContain("second = 2 # from Y");

  // A client without the shared document (a script saving through REST) on the version it read
  // before the edits gets the conflict, and nothing of the tabs' edits is lost.
  const stale = await request.put(`/api/v1/notebooks/${id}`, {
    headers: AUTH,
    data: {
      version: before.version,
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          {
            id: "cell-1",
            cell_type: "code",
            source: "overwritten",
            metadata: {},
            outputs: [],
            execution_count: null,
          },
        ],
      },
    },
  });
  expect(stale.status()).toBe(409);
  await expect(cells(page).nth(0)).toContainText("first = 1 # from X");
  await tabY.close();
});

test("edits made while the server is unreachable survive a closed tab and merge on the next visit (case 22)", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Drafts", [{ cell_type: "code", source: "kept = 0" }]);
  await page.goto(path);
  await expect(page.getByTestId("coediting")).toHaveText("Live");
  // The network goes away: nothing typed now reaches the server.
  await page.context().setOffline(true);
  await editCell(page, cells(page).first());
  await page.keyboard.press("End");
  await page.keyboard.type(" + 1  # not saved yet");
  await expect(page.getByTestId("coediting")).toHaveText("Offline");
  await page.keyboard.press("Control+s");
  await expect(page.getByTestId("save-state")).toContainText("Unsaved");
  await expect
    .poll(() => page.evaluate(() => Object.keys(localStorage).filter((key) => key.includes("draft")).length))
    .toBeGreaterThan(0);

  // Closing the tab warns first.
  let sawWarning = false;
  page.on("dialog", (dialog) => {
    if (dialog.type() === "beforeunload") sawWarning = true;
    void dialog.accept();
  });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => sawWarning).toBe(true);

  // Back online, the next visit merges the kept edits without asking.
  await page.context().setOffline(false);
  const again = await page.context().newPage();
  await again.goto(path);
  await expect(cells(again).first()).toContainText("kept = 0 + 1  # not saved yet");
  await expect(again.getByRole("dialog", { name: "Restore unsaved edits" })).toHaveCount(0);
  await expect(again.getByTestId("save-state")).toHaveText("Saved");
  const body = JSON.stringify(await (await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH })).json());
  expect(body).toContain("# not saved yet");
  await again.reload();
  await expect(cells(again).first()).toContainText("# not saved yet");
});

test("a 1,000-cell notebook opens and takes a keystroke", async ({ page, request }) => {
  await signInAsDemo(page);
  const many = Array.from({ length: 1000 }, (_, index) => ({
    cell_type: "code" as const,
    source: `value_${index} = ${index} * 2\nprint(value_${index})`,
  }));
  const { path } = await createNotebook(request, "Thousand cells", many);
  await page.goto(path);
  await expect(cells(page)).toHaveCount(1000);
  // Sources are highlighted near the viewport only: the first cells at once, a far one once it is
  // scrolled to (the browser's own content-visibility says when), and not the cells in between.
  await expect(cells(page).first().locator(".nb-static-code .tok-number").first()).toBeVisible();
  const target = cells(page).nth(700);
  await expect(target.locator(".nb-static-code .tok-number")).toHaveCount(0);
  // To the middle of the screen, as a person scrolls to what they read (scrollIntoViewIfNeeded
  // stops with the cell on the bottom edge, and cells above it taking their real height when
  // drawn can then push it out of reach again).
  await target.evaluate((element) => element.scrollIntoView({ block: "center" }));
  await expect(target.locator(".nb-static-code .tok-number").first()).toBeVisible();
  await expect(cells(page).nth(400).locator(".nb-static-code .tok-number")).toHaveCount(0);
  await editCell(page, target);
  await page.keyboard.press("End");
  await page.keyboard.type("  # typed");
  await expect(target.locator(".monaco-editor .view-lines")).toContainText("# typed");
  // Only the edited cell has an editor.
  await expect(page.locator(".monaco-editor")).toHaveCount(1);
});

test("find and replace across cells; the table of contents jumps to headings", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Find and outline", [
    { cell_type: "markdown", source: "# Intro\n\ntext" },
    { cell_type: "code", source: "alpha = 1\nalpha += 1" },
    { cell_type: "markdown", source: "## Details <img src=x onerror=alert(1)>" },
    { cell_type: "code", source: "print(alpha)" },
  ]);
  await openInCommandMode(page, path);
  await page.keyboard.press("Control+f");
  const search = page.getByRole("search", { name: "Find in notebook" });
  await search.getByLabel("Find", { exact: true }).fill("alpha");
  await expect(search.getByRole("status")).toHaveText("1 of 3");
  await search.getByLabel("Replace with").fill("beta");
  await search.getByRole("button", { name: "Replace all" }).click();
  await expect(search.getByRole("status")).toHaveText("No matches");
  await search.getByRole("button", { name: "Close find" }).click();
  await expect(cells(page).nth(1)).toContainText("beta = 1");
  await expect(cells(page).nth(3)).toContainText("print(beta)");

  await page.getByRole("button", { name: "Contents" }).click();
  const toc = page.getByRole("navigation", { name: "Table of contents" });
  await expect(toc.getByRole("button")).toHaveText(["Intro", "Details"]);
  await expect(toc.locator("img")).toHaveCount(0);
  await toc.getByRole("button", { name: "Details" }).click();
  await expect(cells(page).nth(2)).toHaveAttribute("aria-current", "true");
});

test("on a slow machine, typed brackets come out exactly as typed (no doubled closing bracket)", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Brackets on a slow machine", [
    { cell_type: "code", source: "" },
  ]);
  await page.goto(path);
  const cell = cells(page).first();
  await editCell(page, cell);
  // A busy laptop (or a CI machine under load): the page's CPU runs six times slower, so React's
  // renders and effects fall behind the keystrokes. Monaco closes brackets as they open and types
  // over the closing one; a render that carried an older text once put the model back a keystroke
  // and lost that, so `print(6 * 7)` became `print(6 * 7))` (a SyntaxError in CI's Run all).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 6 });
  const typed = 'print((6 * 7), [1, 2], {"a": (3)})';
  await page.keyboard.type(typed, { delay: 50 });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  await page.keyboard.press("Escape");
  await expect(cell).toBeFocused();
  // The cell's source (the static view in command mode), exactly: nothing added, nothing lost.
  await expect(cell.locator(".nb-source")).toHaveText(typed);
});
