// Settings → Appearance & editor, as a person uses it: switch to Dark and the drawn page (its
// background, its text, a chart's canvas) is dark; a bigger font and line numbers show in the
// notebook's editor and reach an open editor in another tab without a reload; all of it is kept
// with the account (a reload, another browser). And the notebook's keyboard shortcut list.
import { type Browser, expect, type Locator, type Page, test } from "@playwright/test";
import { signIn, signUp } from "./account-fixtures";

const PASSWORD = "a long enough password";

/** The sRGB pixel a CSS colour paints (Chrome reports oklch() colours as written). */
async function paintedRgb(page: Page, color: string): Promise<[number, number, number]> {
  return await page.evaluate((value) => {
    const canvas = document.createElement("canvas");
    canvas.width = 1;
    canvas.height = 1;
    const context = canvas.getContext("2d")!;
    context.fillStyle = value;
    context.fillRect(0, 0, 1, 1);
    const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
    return [r!, g!, b!] as [number, number, number];
  }, color);
}

/** WCAG relative luminance, 0 (black) to 1 (white). */
function luminance([r, g, b]: [number, number, number]): number {
  const channel = (value: number) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

async function bodyColors(page: Page) {
  const { background, text } = await page.evaluate(() => {
    const style = getComputedStyle(document.body);
    return { background: style.backgroundColor, text: style.color };
  });
  return { background: await paintedRgb(page, background), text: await paintedRgb(page, text) };
}

/** The pixel at the top-left corner of a chart's canvas (its background), as drawn. */
async function chartCorner(chart: Locator): Promise<[number, number, number]> {
  return await chart.locator("canvas").evaluate((canvas: HTMLCanvasElement) => {
    const [r, g, b] = canvas.getContext("2d")!.getImageData(2, 2, 1, 1).data;
    return [r!, g!, b!] as [number, number, number];
  });
}

/** A project and a notebook with code and a saved chart, made by the signed-in person. */
async function makeNotebook(page: Page): Promise<string> {
  const origin = new URL(page.url()).origin;
  const headers = { origin };
  const project = await page.request.post("/api/v1/projects", { headers, data: { name: "Themes" } });
  expect(project.status(), await project.text()).toBe(201);
  const projectId = ((await project.json()) as { id: string }).id;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: 300,
    height: 150,
    data: {
      values: [
        { city: "Oslo", n: 3 },
        { city: "Lima", n: 7 },
        { city: "Pune", n: 5 },
      ],
    },
    mark: "bar",
    encoding: { x: { field: "city", type: "nominal" }, y: { field: "n", type: "quantitative" } },
  };
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" } },
    cells: [
      {
        id: "code-1",
        cell_type: "code",
        metadata: {},
        source: "total = 1 + 2\nprint(total)\nlabel = 'three'",
        execution_count: 1,
        outputs: [
          {
            output_type: "display_data",
            data: { "application/vnd.vegalite.v5+json": spec, "text/plain": "<chart>" },
            metadata: {},
          },
        ],
      },
    ],
  };
  const created = await page.request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers,
    data: { name: "Theme check", notebook },
  });
  expect(created.status(), await created.text()).toBe(201);
  return `/projects/${projectId}/notebooks/${((await created.json()) as { id: string }).id}`;
}

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

async function openSettings(page: Page): Promise<void> {
  await page.getByTestId("user-menu").click();
  await page.getByRole("menuitem", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Appearance & editor" })).toBeVisible();
}

async function signInElsewhere(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/login");
  await signIn(page, email, PASSWORD);
  return page;
}

test("dark theme, editor font size and line numbers follow the person", async ({ browser }) => {
  const { page, email } = await signUp(browser, "Theme");
  const notebookPath = await makeNotebook(page);

  // Light at first (the browser prefers light): a light page with dark text.
  const light = await bodyColors(page);
  expect(luminance(light.background)).toBeGreaterThan(0.8);

  await openSettings(page);
  await page.getByRole("radio", { name: "Dark" }).check();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  const dark = await bodyColors(page);
  expect(luminance(dark.background)).toBeLessThan(0.05);
  expect(contrast(dark.text, dark.background)).toBeGreaterThan(7);
  // Cards (the settings section) are dark too, with readable text.
  const card = page.locator("section").filter({ hasText: "Appearance & editor" });
  const cardColors = await card.evaluate((element) => {
    const style = getComputedStyle(element);
    return { background: style.backgroundColor, text: getComputedStyle(element.querySelector("p")!).color };
  });
  const cardBackground = await paintedRgb(page, cardColors.background);
  expect(luminance(cardBackground)).toBeLessThan(0.05);
  expect(contrast(await paintedRgb(page, cardColors.text), cardBackground)).toBeGreaterThan(4.5);

  await page.getByLabel("Editor font size").selectOption("18");
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.getByRole("checkbox", { name: "Line numbers in code cells" }).check();
  await expect(page.getByRole("checkbox", { name: "Line numbers in code cells" })).toBeChecked();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();

  // The notebook: dark editor at 18 px with line numbers, and a dark chart.
  await page.goto(notebookPath);
  const chart = page.getByTestId("vega-output");
  await expect(chart.locator("[data-flint-chart=rendered]")).toBeVisible();
  expect(luminance(await chartCorner(chart))).toBeLessThan(0.05);
  const cell = cells(page).nth(0);
  // Before an editor opens, the static code already has the size and the numbers.
  await expect(cell.locator(".nb-line-numbers")).toHaveText("1\n2\n3");
  await cell.locator(".nb-source").click();
  const editor = cell.locator(".monaco-editor");
  await expect(editor).toHaveClass(/vs-dark/);
  await expect(editor.locator(".view-lines")).toHaveCSS("font-size", "18px");
  await expect(editor.locator(".line-numbers")).toHaveText(["1", "2", "3"]);

  // Changed in another tab, the open editor follows without a reload.
  const settingsTab = await page.context().newPage();
  await settingsTab.goto("/settings");
  await settingsTab.getByLabel("Editor font size").selectOption("14");
  await settingsTab.getByRole("checkbox", { name: "Line numbers in code cells" }).uncheck();
  await expect(settingsTab.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await expect(editor.locator(".view-lines")).toHaveCSS("font-size", "14px");
  await expect(editor.locator(".line-numbers")).toHaveCount(0);
  await settingsTab.getByRole("radio", { name: "Light" }).check();
  await expect(editor).not.toHaveClass(/vs-dark/);
  await expect.poll(async () => luminance(await chartCorner(chart))).toBeGreaterThan(0.8);
  await settingsTab.getByRole("radio", { name: "Dark" }).check();
  await expect(editor).toHaveClass(/vs-dark/);
  await settingsTab.close();

  // A reload: the server renders the theme into the page, so the first paint is dark.
  const html = await (await page.request.get(notebookPath)).text();
  expect(html).toMatch(/<html[^>]*data-theme="dark"/);
  await page.reload();
  expect(luminance((await bodyColors(page)).background)).toBeLessThan(0.05);

  // Another browser: sign in and everything is as chosen.
  const other = await signInElsewhere(browser, email);
  expect(luminance((await bodyColors(other)).background)).toBeLessThan(0.05);
  await other.goto("/settings");
  await expect(other.getByRole("radio", { name: "Dark" })).toBeChecked();
  await expect(other.getByLabel("Editor font size")).toHaveValue("14");
  await expect(other.getByRole("checkbox", { name: "Line numbers in code cells" })).not.toBeChecked();
  await other.context().close();
  await page.context().close();
});

test("System follows the browser's colour scheme", async ({ browser }) => {
  const { page } = await signUp(browser, "System", { colorScheme: "dark" });
  // A new account follows the system: this browser prefers dark.
  expect(luminance((await bodyColors(page)).background)).toBeLessThan(0.05);
  await page.emulateMedia({ colorScheme: "light" });
  expect(luminance((await bodyColors(page)).background)).toBeGreaterThan(0.8);
  await page.context().close();
});

test("the keyboard shortcut list opens from the notebook and lists Shift+Enter", async ({ browser }) => {
  const { page } = await signUp(browser, "Keys");
  const notebookPath = await makeNotebook(page);
  await page.goto(notebookPath);
  const cell = cells(page).nth(0);
  // Typing "?" in an editor types it; it does not open the list.
  await cell.locator(".nb-source").click();
  await expect(cell.locator(".monaco-editor.focused")).toBeVisible();
  await page.keyboard.type("\n# why?", { delay: 40 });
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toHaveCount(0);
  await expect(cell.locator(".monaco-editor")).toContainText("# why?");
  // In command mode, "?" opens it.
  await page.keyboard.press("Escape");
  await page.keyboard.press("?");
  const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(dialog).toBeVisible();
  const commandMode = dialog.getByRole("table", { name: "Command mode" });
  await expect(commandMode.getByRole("row", { name: /Run cell and select below/ })).toContainText(
    "Shift+Enter",
  );
  await expect(commandMode.getByRole("row", { name: /Delete selected cells/ })).toContainText("D D");
  await expect(
    dialog.getByRole("table", { name: "Edit mode" }).getByRole("row", { name: /Show help for the name/ }),
  ).toContainText("Shift+Tab");
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  // And from the toolbar.
  await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
  await expect(commandMode.getByRole("row", { name: /Run cell and select below/ })).toContainText(
    "Shift+Enter",
  );
  await page.context().close();
});
