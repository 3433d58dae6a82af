// Issue 14, items 3 and 4 as people do them: Bob mentions Ada by name through the comment box's
// autocomplete (typed, picked with the keyboard); Ada's bell shows it and opens the notebook at
// the cell with the thread open; someone with no project forks a published notebook into a new
// project from the fork dialog. Accounts, the project and the notebook are set up through the
// API: they are the scene, not what is tested.
import { type Browser, expect, type Page, test } from "@playwright/test";

interface TUser {
  page: Page;
  email: string;
  id: string;
}

/** A signed-in user in a browser context of their own (signed up through better-auth's API). */
async function newUser(browser: Browser, origin: string, name: string): Promise<TUser> {
  const context = await browser.newContext({ baseURL: origin });
  const email = `${name.toLowerCase()}${Date.now()}@example.test`;
  const signUp = await context.request.post("/api/auth/sign-up/email", {
    headers: { origin },
    data: { name, email, password: "a long enough password" },
  });
  expect(signUp.status(), await signUp.text()).toBe(200);
  const me = (await (await context.request.get("/api/v1/me")).json()) as { id: string };
  return { page: await context.newPage(), email, id: me.id };
}

/** Calls the API as `user` (their session cookie, with Flint's Origin as the CSRF rule wants). */
async function callAs(user: TUser, origin: string, method: "POST" | "GET", url: string, data?: unknown) {
  const response = await user.page.request.fetch(url, { method, headers: { origin }, data });
  expect(response.ok(), `${method} ${url}: ${await response.text()}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

test("mention a member by name from the autocomplete, open the notification, fork into a new project", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const origin = baseURL ?? "";
  const ada = await newUser(browser, origin, "Ada");
  const adam = await newUser(browser, origin, "Adam");
  const bob = await newUser(browser, origin, "Bob");

  // The scene: Ada's project with Bob and Adam in it, and a notebook whose commented cell is
  // far down (past the cells a large notebook draws first).
  const project = await callAs(ada, origin, "POST", "/api/v1/projects", { name: "Launch plan" });
  for (const member of [bob, adam]) {
    await callAs(ada, origin, "POST", `/api/v1/projects/${project.id}/members`, {
      email: member.email,
      role: "editor",
    });
  }
  const cells = Array.from({ length: 40 }, (_, index) => ({
    id: index === 36 ? "forecast" : `step-${index}`,
    cell_type: "code",
    source: index === 36 ? "growth = 0.07" : `step_${index} = ${index}`,
    metadata: {},
    outputs: [],
    execution_count: null,
  }));
  const notebook = await callAs(ada, origin, "POST", `/api/v1/projects/${project.id}/notebooks`, {
    name: "Launch model",
    notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells },
  });
  const notebookPath = `/projects/${project.id}/notebooks/${notebook.id}`;

  // Bob comments on the cell and picks Ada from the list with the keyboard.
  await bob.page.goto(notebookPath);
  const bobCell = bob.page.locator('[data-cell-id="forecast"]');
  await bobCell.getByRole("button", { name: /Comments/ }).click();
  const box = bobCell.getByRole("textbox", { name: "New comment" });
  await box.click();
  await box.pressSequentially("Is this growth rate right @Ad", { delay: 50 });
  const list = bobCell.getByRole("listbox", { name: "Mention a member" });
  await expect(list.getByRole("option")).toHaveText([
    new RegExp(`^Ada ${ada.email}`),
    new RegExp(`^Adam ${adam.email}`),
  ]);
  await box.press("ArrowDown");
  await expect(list.getByRole("option", { selected: true })).toContainText(adam.email);
  await box.press("ArrowUp");
  await expect(list.getByRole("option", { selected: true })).toContainText(ada.email);
  await box.press("Enter");
  await expect(list).toHaveCount(0);
  await expect(box).toHaveValue("Is this growth rate right @Ada ");
  await box.pressSequentially("or should it be 4%?", { delay: 50 });
  await bobCell.getByRole("button", { name: "Comment", exact: true }).click();
  const posted = bobCell.getByTestId("comment");
  await expect(posted).toContainText("Is this growth rate right @Ada or should it be 4%?");
  await expect(box).toHaveValue("");

  // Adam, who was listed too but not picked, has nothing.
  expect((await callAs(adam, origin, "GET", "/api/v1/notifications")).unread).toBe(0);

  // Ada opens Flint: her bell has the mention; a click opens the notebook at the thread.
  await ada.page.goto("/");
  await expect(ada.page.getByTestId("unread-count")).toHaveText("1");
  await ada.page.getByRole("button", { name: /Notifications/ }).click();
  await ada.page.getByRole("menuitem", { name: /Bob mentioned you: Is this growth rate right @Ada/ }).click();
  await expect(ada.page).toHaveURL(new RegExp(`${notebookPath}$`));
  const adaCell = ada.page.locator('[data-cell-id="forecast"]');
  await expect(adaCell.getByRole("button", { name: /Comments/ })).toHaveAttribute("aria-expanded", "true");
  const thread = adaCell.getByTestId("comment-thread");
  await expect(thread).toContainText("Is this growth rate right @Ada or should it be 4%?");
  await expect(adaCell.locator('[data-testid="comment"][aria-current="true"]')).toBeInViewport();
  await expect(adaCell).toHaveAttribute("aria-current", "true");

  // Ada publishes the notebook; Cy, who has no project, forks it into a new one.
  await callAs(ada, origin, "POST", `/api/v1/notebooks/${notebook.id}/publish`);
  const cy = await newUser(browser, origin, "Cy");
  await cy.page.goto(`/community/notebooks/${notebook.id}`);
  await cy.page.getByRole("button", { name: "Fork", exact: true }).click();
  const dialog = cy.page.getByRole("dialog", { name: "Fork Launch model" });
  await expect(dialog).toContainText("You have no project to fork into yet");
  const projectName = dialog.getByRole("textbox", { name: "New project's name" });
  await projectName.click();
  await projectName.pressSequentially("Cy's experiments", { delay: 50 });
  await dialog.getByRole("button", { name: "Create project and fork" }).click();
  await expect(cy.page).toHaveURL(/\/projects\/[^/]+\/notebooks\/[^/]+$/);
  await expect(cy.page.getByRole("navigation", { name: "Breadcrumb" })).toContainText("Cy's experiments");
  await expect(cy.page.locator('[data-cell-id="forecast"]')).toContainText("growth = 0.07");
  const cyProjects = (await callAs(cy, origin, "GET", "/api/v1/projects")).projects as {
    name: string;
    role: string;
  }[];
  expect(cyProjects).toEqual([expect.objectContaining({ name: "Cy's experiments", role: "admin" })]);
});
