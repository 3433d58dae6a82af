// Real-time co-editing (issue 21, docs/coediting.md) as people do it, each in a browser of their
// own: two people typing in one cell at the same moment end with both texts in every browser
// and in the database; one adds a cell while another deletes its neighbour; one goes offline,
// keeps typing and merges on return; a viewer sees edits live and cannot send any (a frame
// forged from the viewer's own browser session is refused by the server).
// Accounts, the project and the notebook are set up through the API: they are the scene.
import { encodeFrame, MESSAGE_SYNC } from "@flint/collab/shared";
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { editCell } from "./notebook-fixtures";

const TYPING = { delay: 60 };

interface TUser {
  context: BrowserContext;
  page: Page;
  email: string;
  name: string;
}

async function newUser(browser: Browser, origin: string, name: string): Promise<TUser> {
  const context = await browser.newContext({ baseURL: origin });
  const email = `${name.toLowerCase()}${Date.now()}@example.test`;
  const signUp = await context.request.post("/api/auth/sign-up/email", {
    headers: { origin },
    data: { name, email, password: "a long enough password" },
  });
  expect(signUp.status(), await signUp.text()).toBe(200);
  return { context, page: await context.newPage(), email, name };
}

async function callAs(user: TUser, origin: string, method: "POST" | "GET", url: string, data?: unknown) {
  const response = await user.page.request.fetch(url, { method, headers: { origin }, data });
  expect(response.ok(), `${method} ${url}: ${await response.text()}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');
const cell = (page: Page, id: string) => page.locator(`[data-cell-id="${id}"]`);

/** A project of Ada's with the others as members, and a notebook of `sources` (ids c1, c2 ...). */
async function scene(
  origin: string,
  owner: TUser,
  members: { user: TUser; role: "editor" | "viewer" }[],
  sources: string[],
): Promise<{ path: string; id: string }> {
  const project = await callAs(owner, origin, "POST", "/api/v1/projects", {
    name: `Co-editing ${Date.now()}`,
  });
  for (const { user, role } of members)
    await callAs(owner, origin, "POST", `/api/v1/projects/${project.id}/members`, {
      email: user.email,
      role,
    });
  const notebook = await callAs(owner, origin, "POST", `/api/v1/projects/${project.id}/notebooks`, {
    name: "Shared model",
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: sources.map((source, index) => ({
        id: `c${index + 1}`,
        cell_type: "code",
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      })),
    },
  });
  return { path: `/projects/${project.id}/notebooks/${notebook.id}`, id: String(notebook.id) };
}

/** The sources the database holds for the notebook, read as `user` would through the API. */
async function storedSources(user: TUser, origin: string, id: string): Promise<string[]> {
  const document = await callAs(user, origin, "GET", `/api/v1/notebooks/${id}`);
  const notebook = document.notebook as { cells: { source: string | string[] }[] };
  return notebook.cells.map((entry) => (Array.isArray(entry.source) ? entry.source.join("") : entry.source));
}

async function openNotebook(user: TUser, path: string, cellCount: number): Promise<void> {
  await user.page.goto(path);
  await expect(cells(user.page)).toHaveCount(cellCount);
  // The header says when edits reach the others.
  await expect(user.page.getByTestId("coediting")).toHaveText("Live");
}

test("two people typing in one cell at the same time: both texts, in every browser and in the database", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const origin = baseURL ?? "";
  const ada = await newUser(browser, origin, "Ada");
  const bob = await newUser(browser, origin, "Bob");
  const { path, id } = await scene(origin, ada, [{ user: bob, role: "editor" }], ["total = 0"]);
  await openNotebook(ada, path, 1);
  await openNotebook(bob, path, 1);
  // Each sees the other in the notebook.
  await expect(ada.page.getByRole("list", { name: "People in this notebook" })).toContainText("B");
  await expect(bob.page.getByRole("list", { name: "People in this notebook" })).toContainText("A");

  await editCell(ada.page, cell(ada.page, "c1"));
  await editCell(bob.page, cell(bob.page, "c1"));
  await ada.page.keyboard.press("End");
  await bob.page.keyboard.press("Home");
  // Bob sees where Ada is typing.
  await expect(cell(bob.page, "c1").getByTestId("cell-presence")).toContainText("Ada");
  await Promise.all([
    ada.page.keyboard.type(" + 41  # Ada", TYPING),
    bob.page.keyboard.type("base = 1; ", TYPING),
  ]);
  const merged = "base = 1; total = 0 + 41  # Ada";
  await expect(cell(ada.page, "c1")).toContainText(merged);
  await expect(cell(bob.page, "c1")).toContainText(merged);
  await expect(ada.page.getByTestId("save-state")).toHaveText("Saved");
  expect(await storedSources(ada, origin, id)).toEqual([merged]);
  await bob.page.reload();
  await expect(cell(bob.page, "c1")).toContainText(merged);
  await ada.context.close();
  await bob.context.close();
});

test("three people: one adds a cell while another deletes its neighbour; a viewer sees it live and cannot send", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const origin = baseURL ?? "";
  const ada = await newUser(browser, origin, "Ada");
  const bob = await newUser(browser, origin, "Bob");
  const vic = await newUser(browser, origin, "Vic");
  const { path, id } = await scene(
    origin,
    ada,
    [
      { user: bob, role: "editor" },
      { user: vic, role: "viewer" },
    ],
    ["a = 1", "b = 2", "c = 3"],
  );
  for (const user of [ada, bob, vic]) await openNotebook(user, path, 3);

  // Ada adds a cell below c1 and types in it while Bob deletes c3.
  await ada.page.bringToFront();
  await cell(ada.page, "c1").locator(".nb-gutter").click();
  await bob.page.bringToFront();
  await cell(bob.page, "c3").locator(".nb-gutter").click();
  await ada.page.keyboard.press("b");
  await bob.page.keyboard.press("d");
  await bob.page.keyboard.press("d");
  await ada.page.keyboard.press("Enter");
  await ada.page.keyboard.type("added = 10", TYPING);

  for (const user of [ada, bob, vic]) {
    await expect(cells(user.page)).toHaveCount(3);
    await expect(cells(user.page).nth(0)).toContainText("a = 1");
    await expect(cells(user.page).nth(1)).toContainText("added = 10");
    await expect(cells(user.page).nth(2)).toContainText("b = 2");
  }
  // The viewer's page offers no editing.
  await expect(vic.page.getByTestId("save-state")).toHaveText("Read only");
  await cells(vic.page).nth(0).locator(".nb-source").click();
  await expect(cells(vic.page).nth(0).locator(".monaco-editor")).toHaveCount(0);

  // A change forged in the viewer's own browser session, sent on a socket of its own.
  const forged = new Y.Doc();
  forged.getArray<string>("order").insert(0, ["forged"]);
  const forgedCell = new Y.Map<unknown>();
  forgedCell.set("cell_type", "code");
  forgedCell.set("source", new Y.Text("import os; os.system('id')"));
  forgedCell.set("metadata", {});
  forged.getMap("cells").set("forged", forgedCell);
  const frame = encodeFrame(MESSAGE_SYNC, (encoder) =>
    syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(forged)),
  );
  const refusal = await vic.page.evaluate(
    async ({ notebookId, bytes }) =>
      await new Promise<string>((resolve) => {
        const socket = new WebSocket(`ws://${location.host}/ws/notebooks/${notebookId}`);
        socket.binaryType = "arraybuffer";
        socket.onopen = () => socket.send(new Uint8Array(bytes));
        socket.onmessage = (message) => {
          if (!(message.data instanceof ArrayBuffer)) return;
          const data = new Uint8Array(message.data);
          if (data[0] !== 3) return;
          // A varuint length, then the reason in UTF-8.
          let length = 0;
          let shift = 0;
          let index = 1;
          for (;;) {
            const byte = data[index++]!;
            length |= (byte & 0x7f) << shift;
            shift += 7;
            if (byte < 0x80) break;
          }
          resolve(new TextDecoder().decode(data.subarray(index, index + length)));
          socket.close();
        };
      }),
    { notebookId: id, bytes: [...frame] },
  );
  expect(refusal).toMatch(/viewer/);
  await ada.page.waitForTimeout(500);
  await expect(cells(ada.page)).toHaveCount(3);
  await expect(ada.page.getByText("os.system")).toHaveCount(0);
  expect(await storedSources(ada, origin, id)).toEqual(["a = 1", "added = 10", "b = 2"]);
  for (const user of [ada, bob, vic]) await user.context.close();
});

test("one goes offline, keeps typing, and merges with the other's typing on return", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const origin = baseURL ?? "";
  const ada = await newUser(browser, origin, "Ada");
  const bob = await newUser(browser, origin, "Bob");
  const { path, id } = await scene(origin, ada, [{ user: bob, role: "editor" }], ["x = 1", "y = 2"]);
  await openNotebook(ada, path, 2);
  await openNotebook(bob, path, 2);

  await bob.context.setOffline(true);
  await expect(bob.page.getByTestId("coediting")).toHaveText("Offline");
  await editCell(bob.page, cell(bob.page, "c1"));
  await bob.page.keyboard.press("End");
  await bob.page.keyboard.type("  # typed offline", TYPING);
  await editCell(ada.page, cell(ada.page, "c1"));
  await ada.page.keyboard.press("Home");
  await ada.page.keyboard.type("w = 0; ", TYPING);
  // Nothing of Bob's reached Ada while he was offline.
  await expect(cell(ada.page, "c1")).toContainText("w = 0; x = 1");
  await expect(cell(ada.page, "c1")).not.toContainText("typed offline");

  await bob.context.setOffline(false);
  await expect(bob.page.getByTestId("coediting")).toHaveText("Live");
  const merged = "w = 0; x = 1  # typed offline";
  await expect(cell(ada.page, "c1")).toContainText(merged);
  await expect(cell(bob.page, "c1")).toContainText(merged);
  await expect(bob.page.getByTestId("save-state")).toHaveText("Saved");
  expect(await storedSources(ada, origin, id)).toEqual([merged, "y = 2"]);
  await ada.context.close();
  await bob.context.close();
});

test("following a person: the page goes where they go until the follower acts", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const origin = baseURL ?? "";
  const ada = await newUser(browser, origin, "Ada");
  const bob = await newUser(browser, origin, "Bob");
  const { path } = await scene(
    origin,
    ada,
    [{ user: bob, role: "editor" }],
    ["a = 1", "b = 2", "c = 3", "d = 4"],
  );
  for (const user of [ada, bob]) await openNotebook(user, path, 4);

  // Ada follows Bob from his avatar.
  await ada.page.bringToFront();
  const bobAvatar = ada.page.getByRole("list", { name: "People in this notebook" }).getByRole("button", {
    name: /^Bob/,
  });
  await bobAvatar.click();
  await expect(bobAvatar).toHaveAttribute("aria-pressed", "true");

  // Bob moves from cell to cell; Ada's page goes with him.
  await bob.page.bringToFront();
  await cell(bob.page, "c3").locator(".nb-gutter").click();
  await expect(cell(ada.page, "c3")).toHaveAttribute("aria-current", "true");
  await cell(bob.page, "c1").locator(".nb-gutter").click();
  await expect(cell(ada.page, "c1")).toHaveAttribute("aria-current", "true");

  // Ada acts on her own page (she clicks a cell): she stops following, and stays where she is.
  await ada.page.bringToFront();
  await cell(ada.page, "c2").locator(".nb-gutter").click();
  await expect(bobAvatar).toHaveAttribute("aria-pressed", "false");
  await expect(cell(ada.page, "c2")).toHaveAttribute("aria-current", "true");
  await bob.page.bringToFront();
  await cell(bob.page, "c4").locator(".nb-gutter").click();
  await expect(ada.page.getByRole("list", { name: "People in this notebook" })).toContainText("B");
  await expect(bobAvatar).toHaveAttribute("aria-label", /in cell 4/);
  await expect(cell(ada.page, "c2")).toHaveAttribute("aria-current", "true");
  for (const user of [ada, bob]) await user.context.close();
});
