import { expect, type Page, test } from "@playwright/test";
import { DEMO_EMAIL, signIn, signInAsDemo, signUpOn } from "./account-fixtures";
import { E2E_DEMO_PASSWORD, E2E_DEMO_TOKEN } from "./global-setup";
import { createNotebook } from "./notebook-fixtures";

/** Sends the sign-in form once with a wrong password and sees its error. */
async function failSignIn(page: Page, email: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
}

/** Holds back the page's script files (as a slow network would) until the returned function is called. */
async function holdScripts(page: Page): Promise<() => void> {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route("**/_next/static/**/*.js", async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

/** Every URL `page` requests or shows, to check that none carries what was typed. */
function recordUrls(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (request) => urls.push(request.url()));
  page.on("framenavigated", (frame) => urls.push(frame.url()));
  return urls;
}

test("sign up, sign out and sign in again", async ({ page }) => {
  const email = `new-${Date.now()}@example.test`;
  await signUpOn(page, "New Person", email, "a good long password");
  await expect(page.getByRole("heading", { name: "No projects yet" })).toBeVisible();
  // The header shows the person's name; the menu shows the e-mail they signed up with.
  await expect(page.getByTestId("user-menu")).toHaveText("New Person");
  await page.getByRole("button", { name: "New Person" }).click();
  await expect(page.getByTestId("user-menu-email")).toHaveText(email);
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F/);

  await signIn(page, email, "a good long password");
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
});

// On a first visit the page's scripts arrive after its HTML. To be sure where a person's steps
// fall, the tests below hold the scripts back (a slow network) and release them at a chosen step.
for (const release of ["after the email", "after Enter"] as const) {
  test(`the sign-in form typed into the moment it shows signs in once, scripts arriving ${release} (case 31)`, async ({
    browser,
    baseURL,
  }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const releaseScripts = await holdScripts(page);
    const urls = recordUrls(page);
    await page.goto("/login?next=/settings/tokens", { waitUntil: "commit" });
    await page.getByLabel("Email").pressSequentially(DEMO_EMAIL, { delay: 50 });
    // From here the page may hydrate while the password is typed: nothing typed may be lost.
    if (release === "after the email") releaseScripts();
    await page.getByLabel("Password").pressSequentially(E2E_DEMO_PASSWORD, { delay: 50 });
    await page.keyboard.press("Enter");
    releaseScripts();
    await expect(page).toHaveURL(`${baseURL}/settings/tokens`);
    await expect(page.getByRole("heading", { name: "Personal access tokens" })).toBeVisible();
    for (const url of urls) {
      expect(url).not.toContain(E2E_DEMO_PASSWORD);
      expect(decodeURIComponent(url)).not.toContain(DEMO_EMAIL);
    }
    await context.close();
  });
}

test("a wrong password and an unknown email get the same clear message", async ({ page }) => {
  await page.goto("/login");
  await failSignIn(page, DEMO_EMAIL);
  await page.reload();
  await expect(page.getByTestId("form-error")).toHaveCount(0);
  await failSignIn(page, "nobody-here@example.test");
});

test("a page that needs a user redirects to sign-in and back", async ({ page }) => {
  await page.goto("/settings/tokens");
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings%2Ftokens/);
  await signIn(page, DEMO_EMAIL, E2E_DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/settings\/tokens$/);
  await expect(page.getByRole("heading", { name: "Personal access tokens" })).toBeVisible();
});

test("no open redirect after sign-in (SECURITY.md case 19)", async ({ page, baseURL }) => {
  for (const next of ["//evil.com", "/\\evil.com", "https://evil.com/x", "javascript:alert(1)"]) {
    await page.context().clearCookies();
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await signIn(page, DEMO_EMAIL, E2E_DEMO_PASSWORD);
    await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
    expect(page.url()).toBe(`${baseURL}/`);
  }
});

test("the demo user's token works on /api/v1/me; a missing or revoked one gives 401 JSON", async ({
  request,
  page,
}) => {
  const me = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${E2E_DEMO_TOKEN}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ email: "demo@flint.local" });
  const missing = await request.get("/api/v1/me");
  expect(missing.status()).toBe(401);
  expect(missing.headers()["content-type"]).toContain("application/json");

  // Create a token in the settings page, use it, revoke it, and see it refused.
  await page.goto("/login?next=/settings/tokens");
  await signIn(page, DEMO_EMAIL, E2E_DEMO_PASSWORD);
  await page.getByLabel("Token name").fill("e2e token");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toBeVisible();
  const secret = (await page.getByTestId("new-token").textContent()) ?? "";
  expect(secret).toMatch(/^flint_pat_/);
  expect((await request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } })).status()).toBe(
    200,
  );
  await page.getByRole("button", { name: "Revoke e2e token" }).click();
  await expect(page.getByText("e2e token")).toHaveCount(0);
  const revoked = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(revoked.status()).toBe(401);
  expect(await revoked.json()).toMatchObject({ error: { code: "unauthorized" } });
});

test("the token form sent before the page hydrates creates its token once", async ({ page, baseURL }) => {
  await signInAsDemo(page);
  // Scripts held until the person has typed and clicked: the submit surely lands before React
  // hydrates the form (React queues it and sends it once hydrated).
  const releaseScripts = await holdScripts(page);
  const urls = recordUrls(page);
  await page.goto("/settings/tokens", { waitUntil: "commit" });
  await page.getByLabel("Token name").pressSequentially("sent early", { delay: 50 });
  await page.getByRole("button", { name: "Create token" }).click();
  releaseScripts();
  await expect(page.getByTestId("new-token")).toBeVisible();
  await expect(page.getByText("sent early", { exact: true })).toHaveCount(1);
  expect(page.url()).toBe(`${baseURL}/settings/tokens`);
  expect(urls.filter((url) => /sent(\+|%20)early/.test(url))).toEqual([]);
  await page.getByRole("button", { name: "Revoke sent early" }).click();
  await expect(page.getByText("sent early", { exact: true })).toHaveCount(0);
});

test("the demo user sees the Getting started project", async ({ page }) => {
  await page.goto("/login");
  await signIn(page, DEMO_EMAIL, E2E_DEMO_PASSWORD);
  await page.getByRole("link", { name: /Getting started/ }).click();
  await expect(page.getByRole("heading", { name: "Getting started" })).toBeVisible();
  await expect(page.getByRole("link", { name: /Welcome to Flint/ })).toBeVisible();
});

test("an unknown address answers 404 with a page that leads back", async ({ page }) => {
  await signInAsDemo(page);
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Your projects" })).toHaveAttribute("href", "/");
});

test("a read-only token made in Settings → Access tokens reads a notebook but cannot run it", async ({
  page,
  request,
}) => {
  const notebook = await createNotebook(request, "Read-only token target", [
    { cell_type: "code", source: "print('should not run')" },
  ]);
  await signInAsDemo(page);
  await page.goto("/settings/tokens");
  await page.getByLabel("Token name").pressSequentially("dashboard reader", { delay: 40 });
  await page.getByLabel("Scope").selectOption("read");
  await page.getByLabel("Expires").selectOption("30");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toBeVisible();
  const secret = (await page.getByTestId("new-token").textContent()) ?? "";
  await expect(page.getByRole("listitem").filter({ hasText: "dashboard reader" })).toContainText(
    /scope read · expires/,
  );

  const headers = { authorization: `Bearer ${secret}` };
  expect((await request.get(`/api/v1/notebooks/${notebook.id}`, { headers })).status()).toBe(200);
  const run = await request.post(`/api/v1/notebooks/${notebook.id}/run`, { headers, data: {} });
  expect(run.status()).toBe(403);
  expect(await run.json()).toMatchObject({
    error: { code: "forbidden", message: expect.stringMatching(/scope/) },
  });
  await page.getByRole("button", { name: "Revoke dashboard reader" }).click();
  await expect(page.getByText("dashboard reader")).toHaveCount(0);
});
