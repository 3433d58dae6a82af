/**
 * Playwright fixtures of the harness: one server per worker, and a page that refuses (and records)
 * every request leaving 127.0.0.1, so no test ever sends traffic to another address, even if a
 * protection under test were removed.
 */

import { test as base, type Page } from "@playwright/test";
import { startHarness, type THarnessServer } from "./server";

/** What went wrong in the page besides chart states: errors, dialogs, outside requests. */
export interface TPageProblems {
  pageErrors: string[];
  dialogs: string[];
  external: string[];
  consoleErrors: string[];
}

export const test = base.extend<{ chartPage: Page; problems: TPageProblems }, { harness: THarnessServer }>({
  harness: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the destructuring pattern.
    async ({}, use) => {
      const server = await startHarness();
      await use(server);
      await server.close();
    },
    { scope: "worker" },
  ],
  problems: async ({ page }, use) => {
    const problems: TPageProblems = { pageErrors: [], dialogs: [], external: [], consoleErrors: [] };
    page.on("pageerror", (error) => problems.pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.consoleErrors.push(message.text());
    });
    page.on("dialog", async (dialog) => {
      problems.dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      problems.external.push(route.request().url());
      return route.abort("blockedbyclient");
    });
    await use(problems);
  },
  chartPage: async ({ page, harness, problems }, use) => {
    void problems; // registers the listeners and the route before the page loads
    await page.goto(harness.url);
    await page.waitForFunction(() => typeof window.flintHarness?.render === "function");
    await use(page);
  },
});

export { expect } from "@playwright/test";
