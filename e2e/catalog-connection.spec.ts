// Issue 6: a PostgreSQL connection from the catalog page. The e2e server's embedded PostgreSQL
// serves as the source: the test makes a `shop` database with a reader role, then a person
// connects to it in the dialog, registers its table, and Spark profiles it over JDBC. The
// password must never come back: not in any API answer, not in any page.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { signInAsDemo } from "./account-fixtures";
import { AUTH } from "./notebook-fixtures";

/** The e2e server's embedded PostgreSQL, as superuser (read from its data directory). */
function superuserConfig(database: string): pg.ClientConfig {
  const dir = path.join(process.env.FLINT_E2E_DATA_DIR ?? "", "postgres");
  const port = Number(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[3]);
  const password = readFileSync(path.join(dir, ".flint-password"), "utf8").trim();
  return { host: "127.0.0.1", port, user: "postgres", password, database };
}

test("connect a database, register its table, profile it over JDBC; the password never comes back", async ({
  page,
}) => {
  test.setTimeout(400_000);
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const admin = new pg.Client(superuserConfig("postgres"));
  await admin.connect();
  const { port } = admin;
  try {
    await admin.query("DROP DATABASE IF EXISTS shop");
    await admin.query("DROP ROLE IF EXISTS shop_reader");
    await admin.query(`CREATE ROLE shop_reader LOGIN PASSWORD '${password}'`);
    await admin.query("CREATE DATABASE shop OWNER shop_reader");
  } finally {
    await admin.end();
  }
  const shop = new pg.Client({ ...superuserConfig("shop"), user: "shop_reader", password });
  await shop.connect();
  try {
    await shop.query("CREATE TABLE customers (id int PRIMARY KEY, email text, country text)");
    await shop.query(
      "INSERT INTO customers VALUES (1, 'ada@shop.test', 'GB'), (2, 'grace@shop.test', 'US'), (3, NULL, 'FR')",
    );
  } finally {
    await shop.end();
  }

  await signInAsDemo(page);
  await page.goto("/catalog");
  await page.getByRole("button", { name: "Connect a database" }).click();
  const dialog = page.getByRole("dialog", { name: "Connect a database" });
  await dialog.getByLabel("Project").selectOption({ label: "Getting started" });
  await dialog
    .getByLabel("Connection", { exact: true })
    .selectOption({ label: "New PostgreSQL connection…" });
  await dialog.getByLabel("Connection name").fill("Shop database");
  // The metadata service is refused before anything is sent (case 32; 127.0.0.1 is allowed for
  // this run by FLINT_CONNECTION_ALLOW in global-setup.ts).
  await dialog.getByLabel("Host").fill("169.254.169.254");
  await dialog.getByLabel("Port").fill("80");
  await dialog.getByLabel("Database").fill("shop");
  await dialog.getByLabel("User").fill("shop_reader");
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Save connection" }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "Could not connect to PostgreSQL at 169.254.169.254:80/shop: the host does not resolve to an address Flint may connect to",
  );
  await dialog.getByLabel("Host").fill("127.0.0.1");
  await dialog.getByLabel("Port").fill(String(port));
  await dialog.getByLabel("Database").fill("shop");
  await dialog.getByLabel("User").fill("shop_reader");
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Save connection" }).click();
  await dialog.getByRole("button", { name: "Register public.customers" }).click();

  await expect(page.getByRole("heading", { name: /customers/ })).toBeVisible();
  await expect(page.getByTestId("profile-status")).toContainText("Statistics used all 3 rows", {
    timeout: 300_000,
  });
  await expect(page.getByRole("table", { name: "Preview rows" })).toContainText("grace@shop.test");
  expect(await page.content()).not.toContain(password);

  // Every API answer about it leaves the password out.
  const assetId = page.url().split("/").at(-1)!;
  const answers = [
    await page.request.get(`/api/v1/catalog/assets/${assetId}`, { headers: AUTH }),
    await page.request.get(`/api/v1/catalog/search?q=customers`, { headers: AUTH }),
  ];
  const projectId = ((await answers[0]!.json()) as { projectId: string }).projectId;
  answers.push(
    await page.request.get(`/api/v1/catalog/connections?projectId=${projectId}`, { headers: AUTH }),
  );
  for (const answer of answers) {
    expect(answer.status()).toBe(200);
    expect(await answer.text()).not.toContain(password);
  }
});
