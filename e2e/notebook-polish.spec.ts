// Issue 14 item 10 in a real Chromium, as a person uses it: Restart asks first and says
// "Restarting…"; "+ Cell" puts the caret in the new cell; side panels widen the page instead of
// squeezing the cells; Star toggles to Starred; chart thumbnails show the whole chart; sign-up
// refuses a leaked password; the header shows the person's name.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo, signUp } from "./account-fixtures";
import { AUTH, createNotebook, demoProjectId } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

/** Records every text the kernel's Restart button shows from now on (a fast restart is brief). */
async function recordRestartButton(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { restartTexts: string[] }).restartTexts = seen;
    const record = () => {
      const button = document.querySelector<HTMLButtonElement>(
        'button[aria-label$="the kernel"][title^="Restart"]',
      );
      const text = button ? `${button.textContent}${button.disabled ? " (disabled)" : ""}` : "none";
      if (seen.at(-1) !== text) seen.push(text);
    };
    record();
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { restartTexts: string[] }).restartTexts);
}

test("Restart asks first, shows Restarting… until the kernel is back; + Cell puts the caret in the new cell", async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Polish restart", [
    { cell_type: "code", source: "answer = 41\nanswer + 1" },
  ]);
  await page.goto(path);
  const status = page.getByTestId("kernel-status");
  await expect(status).toContainText("Not started", { timeout: 30_000 });
  await page.getByRole("button", { name: "Run all" }).click();
  await expect(cells(page).nth(0).locator(".nb-outputs")).toContainText("42", { timeout: 120_000 });
  await expect(status).toContainText("Idle");

  const restart = page.getByRole("button", { name: "Restart the kernel" });
  const texts = await recordRestartButton(page);
  // Escape and Cancel leave the kernel alone.
  await restart.click();
  const dialog = page.getByRole("dialog", { name: "Restart the kernel?" });
  await expect(dialog).toContainText("outputs stay");
  await expect(dialog).toContainText("variables");
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await restart.click();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(status).toContainText("Idle");
  expect(await texts()).toEqual(["Restart"]);

  // Confirmed: the button says "Restarting…" (and takes no second click) until the kernel is back.
  await restart.click();
  await dialog.getByRole("button", { name: "Restart", exact: true }).click();
  await expect(restart).toBeEnabled({ timeout: 120_000 });
  await expect(restart).toHaveText("Restart");
  await expect(status).toContainText("Idle");
  expect(await texts()).toEqual(["Restart", "Restarting… (disabled)", "Restart"]);
  // The outputs stayed.
  await expect(cells(page).nth(0).locator(".nb-outputs")).toContainText("42");

  // "+ Cell", clicked once: the new cell has the caret, so typing goes there at once.
  await page.getByRole("button", { name: "+ Cell" }).click();
  await expect(cells(page)).toHaveCount(2);
  await expect(cells(page).nth(1).locator(".monaco-editor.focused")).toBeVisible();
  await page.keyboard.type("print(answer)", { delay: 40 });
  await page.keyboard.press("Shift+Enter");
  // The variables went with the old kernel.
  await expect(cells(page).nth(1).locator(".nb-outputs")).toContainText("NameError", { timeout: 120_000 });
  await expect(cells(page).nth(0)).toContainText("answer = 41");
});

test("with side panels open the notebook takes the screen's width instead of squeezing the cells", async ({
  page,
  request,
}) => {
  await page.setViewportSize({ width: 1600, height: 900 });
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Polish width", [
    { cell_type: "markdown", source: "# Heading" },
    { cell_type: "code", source: "x = 1" },
  ]);
  await page.goto(path);
  const list = page.getByRole("list", { name: "Cells" });
  await expect(cells(page)).toHaveCount(2);
  const alone = (await list.boundingBox())!;
  await page.getByRole("button", { name: "Contents" }).click();
  await page.getByRole("button", { name: "All comments" }).click();
  const comments = page.getByRole("complementary", { name: "Notebook comments" });
  await expect(comments).toBeVisible();
  const squeezed = (await list.boundingBox())!;
  const panel = (await comments.boundingBox())!;
  // The comments panel sits at the screen's right edge (page padding aside), and the cells keep
  // most of the width they had alone (1,120 px): inside the 72rem column, the two panels and
  // their gaps would have left them 512 px.
  expect(panel.x + panel.width).toBeGreaterThan(1600 - 40);
  expect(squeezed.width).toBeGreaterThan(alone.width * 0.75);
  // Closing the panels brings back the reading column.
  await page.getByRole("button", { name: "Contents" }).click();
  await page.getByRole("button", { name: "All comments" }).click();
  await expect(comments).toHaveCount(0);
  await expect.poll(async () => (await list.boundingBox())!.width).toBeCloseTo(alone.width, 0);
});

test("Star toggles to Starred with the count and back; the chart board shows whole charts", async ({
  browser,
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { id: notebookId, projectId } = await createNotebook(request, "Polish stars", [
    { cell_type: "code", source: "1 + 1" },
  ]);
  expect((await request.post(`/api/v1/notebooks/${notebookId}/publish`, { headers: AUTH })).status()).toBe(
    200,
  );

  const reader = await signUp(browser, "Stella");
  await reader.page.goto(`/community/notebooks/${notebookId}`);
  const star = reader.page.getByRole("button", { name: /^Star/ });
  const count = star.getByTestId("star-count");
  await expect(star).toHaveAccessibleName("Star, 0 stars");
  await expect(star).toHaveAttribute("aria-pressed", "false");
  await expect(count).toHaveText("0");
  await star.click();
  await expect(star).toHaveAttribute("aria-pressed", "true");
  await expect(star).toContainText("Starred");
  await expect(count).toHaveText("1");
  await expect(star).toHaveAccessibleName("Starred, 1 star");
  // It is the server's state: a reload shows it starred.
  await reader.page.reload();
  await expect(star).toHaveAttribute("aria-pressed", "true");
  await expect(count).toHaveText("1");
  await star.click();
  await expect(star).toHaveAttribute("aria-pressed", "false");
  await expect(star).not.toContainText("Starred");
  await expect(count).toHaveText("0");

  // A chart larger than its card (600 × 400 against a 160 px high thumbnail) is drawn whole.
  const chart = await request.post(`/api/v1/projects/${await demoProjectId(request)}/charts`, {
    headers: AUTH,
    data: {
      title: "Polish big chart",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: 600,
        height: 400,
        mark: "bar",
        data: {
          values: [
            { q: "Q1", r: 10 },
            { q: "Q2", r: 32 },
            { q: "Q3", r: 21 },
          ],
        },
        encoding: { x: { field: "q", type: "nominal" }, y: { field: "r", type: "quantitative" } },
      },
    },
  });
  expect(chart.status(), await chart.text()).toBe(201);
  expect(projectId).toBe(await demoProjectId(request));
  await page.goto(`/projects/${projectId}?tab=charts`);
  const card = page.getByTestId("chart-card").filter({ hasText: "Polish big chart" });
  const thumbnail = card.getByRole("link").first();
  const canvas = thumbnail.locator("canvas");
  await expect(canvas).toBeVisible();
  await expect(thumbnail.locator('[data-flint-chart="rendered"]')).toHaveCount(1);
  const box = (await thumbnail.boundingBox())!;
  const drawn = (await canvas.boundingBox())!;
  // Inside the thumbnail (1 px for rounding), and scaled evenly: the drawing's proportions are
  // the chart's own, so nothing was cut off on either side.
  expect(drawn.x).toBeGreaterThanOrEqual(box.x - 1);
  expect(drawn.y).toBeGreaterThanOrEqual(box.y - 1);
  expect(drawn.x + drawn.width).toBeLessThanOrEqual(box.x + box.width + 1);
  expect(drawn.y + drawn.height).toBeLessThanOrEqual(box.y + box.height + 1);
  const bitmap = await canvas.evaluate((element: HTMLCanvasElement) => element.width / element.height);
  expect(drawn.width / drawn.height).toBeCloseTo(bitmap, 1);
  expect(drawn.height).toBeGreaterThan(100);
});

test("sign-up refuses a leaked password and says why; the header then shows the person's name", async ({
  page,
}) => {
  const email = `pat-${Date.now()}@example.test`;
  await page.goto("/signup");
  await page.getByLabel("Name").pressSequentially("Pat Passphrase", { delay: 40 });
  await page.getByLabel("Email").pressSequentially(email, { delay: 20 });
  const password = page.getByLabel("Password");
  await password.pressSequentially("Password123", { delay: 40 });
  await page.getByRole("button", { name: "Create account" }).click();
  const refusal = page.locator("form").getByRole("alert");
  await expect(refusal).toContainText("leaked in data breaches");
  await expect(refusal).toContainText("choose another one");
  await expect(page).toHaveURL(/\/signup/);

  // Select what was typed and type over it, as a person does.
  await password.press("Control+A");
  await password.pressSequentially("my dog eats tulips", { delay: 40 });
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  await expect(page.getByTestId("user-menu")).toHaveText("Pat Passphrase");
  await page.getByRole("button", { name: "Pat Passphrase" }).click();
  await expect(page.getByTestId("user-menu-email")).toHaveText(email);
});
