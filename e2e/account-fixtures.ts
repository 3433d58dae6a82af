// Signing in and up through the real forms. A fill that lands before React hydrates a form is
// wiped (seen on the first pages after a cold server start), so each form is filled and sent
// again until what should follow has happened.
import { type Browser, type BrowserContextOptions, expect, type Page } from "@playwright/test";
import { E2E_DEMO_PASSWORD } from "./global-setup";

export const DEMO_EMAIL = "demo@flint.local";

/**
 * Fills the fields by label and clicks `button` on the current page, again until `done` passes
 * (or `timeoutMs`). Returns at once when the page has left `formPath` (an earlier try went through).
 */
export async function submitForm(
  page: Page,
  formPath: string,
  fields: Record<string, string>,
  button: string,
  done: () => Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  await expect(async () => {
    if (new URL(page.url()).pathname === formPath) {
      for (const [label, value] of Object.entries(fields)) await page.getByLabel(label).fill(value);
      await page.getByRole("button", { name: button }).click();
    }
    await done();
  }).toPass({ timeout: timeoutMs });
}

/** Signs in on the sign-in page the browser is on, and waits until it has left it. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await submitForm(page, "/login", { Email: email, Password: password }, "Sign in", () =>
    expect(page).not.toHaveURL(/\/login/, { timeout: 5000 }),
  );
}

/** Signs the demo user in and waits for the project list. */
export async function signInAsDemo(page: Page): Promise<void> {
  await page.goto("/login");
  await signIn(page, DEMO_EMAIL, E2E_DEMO_PASSWORD);
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
}

/** Creates an account on `page` through the sign-up form and waits for its project list. */
export async function signUpOn(page: Page, name: string, email: string, password: string): Promise<void> {
  await page.goto("/signup");
  await submitForm(page, "/signup", { Name: name, Email: email, Password: password }, "Create account", () =>
    expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible({ timeout: 5000 }),
  );
}

/** A new user `name` (unique email) in a browser context of its own. */
export async function signUp(
  browser: Browser,
  name: string,
  contextOptions: BrowserContextOptions = {},
): Promise<{ page: Page; email: string }> {
  const page = await (await browser.newContext(contextOptions)).newPage();
  const email = `${name.toLowerCase()}${Date.now()}@example.test`;
  await signUpOn(page, name, email, "a long enough password");
  return { page, email };
}
