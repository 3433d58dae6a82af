// Signing in and up through the real forms, once, as a person does: the forms work from the
// moment they show (before the page hydrates they are plain POST forms; see docs/architecture.md).
import { type Browser, type BrowserContextOptions, expect, type Page } from "@playwright/test";
import { E2E_DEMO_PASSWORD } from "./global-setup";

export const DEMO_EMAIL = "demo@flint.local";

/** Signs in on the sign-in page the browser is on, and waits until it has left it. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
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
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
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
