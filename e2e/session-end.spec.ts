// A notebook tab whose session ends elsewhere (SECURITY.md case 33): the person signs out in
// another tab; within seconds the notebook's socket is closed by the server and the page says so,
// with a way to sign in again, instead of reconnecting forever.
import { expect, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook } from "./notebook-fixtures";

test("signing out in another tab tells the notebook tab 'You were signed out'", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Signed out elsewhere", [
    { cell_type: "code", source: "print('hello')" },
  ]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).toContainText("Kernel", { timeout: 30_000 });

  const other = await page.context().newPage();
  await other.goto("/");
  await other.getByTestId("user-menu").click();
  await other.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(other).toHaveURL(/\/login/);
  await other.close();

  const notice = page.getByRole("alert", { name: "Disconnected" });
  await expect(notice).toContainText("You were signed out", { timeout: 15_000 });
  await expect(page.getByTestId("kernel-status")).toHaveText("Signed out");
  await notice.getByRole("link", { name: "Sign in again" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fprojects%2F/);
});
