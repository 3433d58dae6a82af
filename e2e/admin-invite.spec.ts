// Issue 13 item 4 end to end, on a second Flint started with FLINT_SIGNUP=invite (the one of the
// global setup is open): a visitor without an invitation is told to ask an administrator and the
// API refuses them too; the administrator invites an address and copies the link; the invitee
// opens it in another browser and signs up, typing; the administrator disables them, and the
// page they have open loses access.
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBuiltFlint, type TFlintServer } from "@flint/testing";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { DEMO_EMAIL } from "./account-fixtures";
import { E2E_DEMO_PASSWORD, E2E_DEMO_TOKEN } from "./global-setup";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let server: TFlintServer;

/** A port nothing listens on now, for the second server. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A browser of its own on the invite-mode server (cookies are per host, not per port). */
async function openBrowser(browser: Browser, options: { canCopy?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    baseURL: server.url,
    permissions: options.canCopy ? ["clipboard-read", "clipboard-write"] : [],
  });
  return await context.newPage();
}

test.describe.configure({ mode: "serial", timeout: 300_000 });

test.beforeAll(async () => {
  server = await startBuiltFlint({
    root,
    port: await freePort(),
    demo: { password: E2E_DEMO_PASSWORD, token: E2E_DEMO_TOKEN },
    // No notebook runs here: no warm kernel to start on a shared 2-core machine.
    env: { FLINT_SIGNUP: "invite", FLINT_WARM_KERNELS: "0" },
    verbose: Boolean(process.env.FLINT_E2E_VERBOSE),
  });
});
test.afterAll(async () => server?.stop());

test("without an invitation the sign-up page says whom to ask, and the API refuses", async ({ browser }) => {
  const visitor = await openBrowser(browser);
  await visitor.goto("/signup");
  await expect(visitor.getByTestId("signup-mode")).toHaveText(
    "Sign-up on this Flint needs an invitation: ask an administrator for an invitation link.",
  );
  await expect(visitor.getByRole("button", { name: "Create account" })).toHaveCount(0);

  // The page is not the guard: a direct call to better-auth's endpoint is refused as well.
  const direct = await visitor.request.post("/api/auth/sign-up/email", {
    headers: { origin: server.url },
    data: { name: "Gate Crasher", email: `crasher-${Date.now()}@example.test`, password: "a long password" },
  });
  expect(direct.status()).toBe(403);
  expect(await direct.json()).toMatchObject({ code: "INVITATION_REQUIRED" });
});

test("an administrator invites, the invitee signs up with the link, and is then disabled", async ({
  browser,
}) => {
  const email = `invitee-${Date.now()}@example.test`;

  // The administrator (the seeded demo user) signs in and opens Administration from the menu.
  const admin = await openBrowser(browser, { canCopy: true });
  const signedIn = await admin.request.post("/api/auth/sign-in/email", {
    headers: { origin: server.url },
    data: { email: DEMO_EMAIL, password: E2E_DEMO_PASSWORD },
  });
  expect(signedIn.status()).toBe(200);
  await admin.goto("/");
  await admin.getByRole("button", { name: "Demo User" }).click();
  await admin.getByRole("menuitem", { name: "Administration" }).click();
  await expect(admin.getByRole("heading", { name: "Administration" })).toBeVisible();
  await expect(admin.getByTestId("signup-mode")).toContainText("by invitation");

  await admin.getByRole("textbox", { name: "Email" }).pressSequentially(email, { delay: 50 });
  await admin.getByRole("button", { name: "Create invitation" }).click();
  await expect(admin.getByRole("status")).toContainText(`Invitation for ${email} created`);
  await admin.getByRole("button", { name: "Copy link" }).click();
  await expect(admin.getByRole("button", { name: "Copied" })).toBeVisible();
  const link = await admin.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(new RegExp(`^${server.url}/signup\\?invite=[A-Za-z0-9_-]{40,}$`));
  const pending = admin.getByRole("list", { name: "Pending invitations" });
  await expect(pending.getByText(email)).toBeVisible();

  // The invitee opens the link in a browser of their own: the address is the invited one.
  const invitee = await openBrowser(browser);
  await invitee.goto(link);
  await expect(invitee.getByTestId("signup-mode")).toContainText(`You were invited as ${email}`);
  await expect(invitee.getByLabel("Email")).toHaveValue(email);
  await invitee.getByLabel("Name").pressSequentially("Ivy Invitee", { delay: 50 });
  await invitee.getByLabel("Password").pressSequentially("a long enough password", { delay: 50 });
  await invitee.getByRole("button", { name: "Create account" }).click();
  await expect(invitee.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  await expect(invitee.getByTestId("user-menu")).toHaveText("Ivy Invitee");

  // Not an administrator: no Administration in the menu, and the page says why.
  await invitee.getByRole("button", { name: "Ivy Invitee" }).click();
  await expect(invitee.getByTestId("user-menu-email")).toHaveText(email);
  await expect(invitee.getByRole("menuitem", { name: "Access tokens" })).toBeVisible();
  await expect(invitee.getByRole("menuitem", { name: "Administration" })).toHaveCount(0);
  await invitee.goto("/admin");
  await expect(invitee.getByRole("alert").filter({ hasText: "needs a site administrator" })).toBeVisible();

  // The link does not work twice.
  const latecomer = await openBrowser(browser);
  await latecomer.goto(link);
  await expect(latecomer.getByTestId("signup-mode")).toContainText("This invitation has already been used");
  await expect(latecomer.getByRole("button", { name: "Create account" })).toHaveCount(0);

  // The administrator looks again: the invitee is a user, the invitation is no longer pending.
  await admin.reload();
  const users = admin.getByRole("table", { name: "Users" });
  const row = users.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Ivy Invitee");
  await expect(row).toContainText("Active");
  await expect(admin.getByRole("list", { name: "Pending invitations" }).getByText(email)).toHaveCount(0);
  await admin.getByRole("button", { name: `Disable ${email}` }).click();
  await expect(row).toContainText("Disabled since");

  // The invitee's open page has lost its session: when they reload it, Flint asks them to sign in.
  await invitee.reload();
  await expect(invitee).toHaveURL(/\/login\?next=%2Fadmin$/);
});
