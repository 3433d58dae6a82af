// Issue 7 end to end: A creates a project and invites B as a viewer; B comments on a cell and
// @mentions A; A sees the notification and resolves the thread; A saves a chart to the board;
// A publishes the notebook; an anonymous visitor reads it read-only; B forks it.
import { expect, test } from "@playwright/test";
import { signUp } from "./account-fixtures";

test("share, comment, mention, publish and fork", async ({ browser }) => {
  test.setTimeout(300_000);
  const a = await signUp(browser, "Ada");
  const b = await signUp(browser, "Bob");

  // A: a project with a notebook, and B invited as a viewer.
  await a.page.getByRole("button", { name: "Create your first project" }).click();
  await a.page.getByLabel("Name").fill("Shared analysis");
  await a.page.getByRole("button", { name: "Create project" }).click();
  await expect(a.page.getByRole("heading", { name: "Shared analysis" })).toBeVisible();
  const projectUrl = a.page.url();
  const projectId = new URL(projectUrl).pathname.split("/")[2]!;
  const notebook = await a.page.request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers: { origin: new URL(projectUrl).origin },
    data: {
      name: "Quarterly numbers",
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          {
            id: "revenue",
            cell_type: "code",
            source: "revenue = 42",
            metadata: {},
            outputs: [],
            execution_count: null,
          },
        ],
      },
    },
  });
  expect(notebook.status()).toBe(201);
  const notebookId = ((await notebook.json()) as { id: string }).id;
  await a.page.getByRole("tab", { name: "Members" }).click();
  await a.page.getByLabel("Invite by email").fill(b.email);
  await a.page.getByRole("button", { name: "Invite" }).click();
  await expect(a.page.getByRole("list", { name: "Members" })).toContainText(b.email);

  // B: comments on the cell and mentions A.
  const handle = a.email.split("@")[0];
  await b.page.goto(`/projects/${projectId}/notebooks/${notebookId}`);
  const cell = b.page.locator('[data-cell-id="revenue"]');
  await cell.getByRole("button", { name: /Comments/ }).click();
  await b.page
    .getByRole("textbox", { name: "New comment" })
    .fill(`Where does this come from, @${handle}? <b>not bold</b>`);
  await b.page.getByRole("button", { name: "Comment", exact: true }).click();
  await expect(b.page.getByTestId("comment-thread")).toContainText("<b>not bold</b>");

  // A: sees the notification, opens it, resolves the thread.
  await a.page.reload();
  await expect(a.page.getByTestId("unread-count")).toHaveText("1");
  await a.page.getByRole("button", { name: /Notifications/ }).click();
  await a.page.getByRole("menuitem", { name: /Bob mentioned you/ }).click();
  await expect(a.page).toHaveURL(new RegExp(`/notebooks/${notebookId}`));
  // The notification opens the cell's thread.
  await expect(
    a.page.locator('[data-cell-id="revenue"]').getByRole("button", { name: /Comments/ }),
  ).toHaveAttribute("aria-expanded", "true");
  await a.page.getByRole("button", { name: "Resolve" }).click();
  await expect(a.page.getByRole("button", { name: "Reopen" })).toBeVisible();
  // The notebook's comments panel lists every thread with its cell.
  await a.page.getByRole("button", { name: "All comments" }).click();
  const panel = a.page.getByRole("complementary", { name: "Notebook comments" });
  await expect(panel).toContainText("Where does this come from");
  await expect(panel.getByRole("button", { name: "On cell revenue" })).toBeVisible();

  // A: saves a chart; it appears on the board with a live rendering.
  const chart = await a.page.request.post(`/api/v1/projects/${projectId}/charts`, {
    headers: { origin: new URL(projectUrl).origin },
    data: {
      title: "Revenue by quarter",
      sourceNotebookId: notebookId,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        mark: "bar",
        data: {
          values: [
            { q: "Q1", r: 10 },
            { q: "Q2", r: 32 },
          ],
        },
        encoding: { x: { field: "q", type: "nominal" }, y: { field: "r", type: "quantitative" } },
      },
    },
  });
  expect(chart.status()).toBe(201);
  await a.page.goto(`${projectUrl}?tab=charts`);
  const card = a.page.getByTestId("chart-card");
  await expect(card).toContainText("Revenue by quarter");
  await expect(card).toContainText("Quarterly numbers");
  await expect(card.locator("svg, canvas").first()).toBeVisible();

  // A: publishes the notebook; an anonymous visitor reads it, with no way to run or edit.
  await a.page.goto(`${projectUrl}?tab=notebooks`);
  await a.page.getByRole("button", { name: "Publish Quarterly numbers" }).click();
  const confirm = a.page.getByRole("dialog", { name: "Publish “Quarterly numbers”?" });
  await expect(confirm).toContainText("public to anyone with the link");
  await confirm.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(a.page.getByRole("button", { name: "Unpublish Quarterly numbers" })).toBeVisible();
  const anonymous = await (await browser.newContext()).newPage();
  await anonymous.goto("/community");
  // A search that finds nothing says so with the words searched.
  await anonymous.getByPlaceholder("Search published work").fill("zzqx nothing like this");
  await anonymous.getByRole("button", { name: "Search" }).click();
  await expect(anonymous.getByText('Nothing published matches "zzqx nothing like this".')).toBeVisible();
  await anonymous.getByPlaceholder("Search published work").fill("");
  await anonymous.getByRole("button", { name: "Search" }).click();
  // The search is in the address (a link to it shows the same); choosing an order sends it.
  await anonymous.getByLabel("Sort by").selectOption("stars");
  await expect(anonymous).toHaveURL(/\/community\?q=&sort=stars$/);
  await expect(anonymous.getByPlaceholder("Search published work")).toHaveValue("");
  await anonymous.getByRole("link", { name: /Quarterly numbers/ }).click();
  await expect(anonymous.getByRole("heading", { name: "Quarterly numbers" })).toBeVisible();
  await expect(anonymous.getByText("revenue = 42")).toBeVisible();
  await expect(anonymous.getByRole("button", { name: /Run|Fork|Star/ })).toHaveCount(0);
  const socket = await anonymous.request.get(`/api/v1/notebooks/${notebookId}/comments`);
  expect(socket.status()).toBe(401);

  // B: forks it into B's own project; the fork says where it came from.
  await b.page.goto("/");
  await b.page.getByRole("button", { name: "New project" }).click();
  await b.page.getByLabel("Name").fill("Bob's sandbox");
  await b.page.getByRole("button", { name: "Create project" }).click();
  await expect(b.page.getByRole("heading", { name: "Bob's sandbox" })).toBeVisible();
  await b.page.goto(`/community/notebooks/${notebookId}`);
  await b.page.getByRole("button", { name: "Fork", exact: true }).click();
  const forkDialog = b.page.getByRole("dialog", { name: "Fork Quarterly numbers" });
  await forkDialog.getByLabel("Fork into project").selectOption({ label: "Bob's sandbox" });
  await forkDialog.getByRole("button", { name: "Fork", exact: true }).click();
  await expect(b.page).toHaveURL(/\/projects\/[^/]+\/notebooks\//);
  await b.page.goto(b.page.url().split("/notebooks/")[0]!);
  await expect(b.page.getByRole("list", { name: "Notebooks" })).toContainText(
    "forked from Quarterly numbers",
  );
});
