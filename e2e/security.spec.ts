// SECURITY.md cases 18, 19 and 31: cross-origin requests are rejected; no credentials reach pages,
// bundles, WebSocket URLs or, from a sign-in form sent without scripts, any URL.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { DEMO_EMAIL, signInAsDemo } from "./account-fixtures";
import { E2E_DEMO_PASSWORD } from "./global-setup";

function secretsOfThisServer(): string[] {
  const dataDir = process.env.FLINT_E2E_DATA_DIR ?? "";
  const read = (file: string) => readFileSync(path.join(dataDir, file), "utf8").trim();
  return [read("postgres/.flint-password"), read("secrets/auth-secret")];
}

test("another origin cannot change anything with the user's cookie (case 18)", async ({ page, baseURL }) => {
  await signInAsDemo(page);
  const before = await page.request.get("/api/v1/projects");
  const countBefore = ((await before.json()) as { projects: unknown[] }).projects.length;

  // A page on another site: a form POST and a credentialed fetch to Flint.
  await page.route("https://evil.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<form id="f" method="POST" action="${baseURL}/api/v1/projects" enctype="text/plain">
               <input name='{"name":"csrf","x":"' value='"}'></form>
             <script>
               window.fetchResult = fetch("${baseURL}/api/v1/projects", { method: "POST", credentials: "include",
                 headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "csrf-fetch" }) })
                 .then(r => r.status).catch(e => "blocked: " + e.message);
             </script>`,
    }),
  );
  await page.goto("https://evil.test/attack");
  const fetchResult = await page.evaluate(
    () => (window as unknown as { fetchResult: Promise<unknown> }).fetchResult,
  );
  expect(String(fetchResult)).toMatch(/blocked|401|403/);
  await Promise.all([
    page.waitForLoadState("load"),
    page.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit()),
  ]);
  await expect(page.locator("body")).not.toContainText('"role":"admin"');

  // Directly, with the session cookie but a foreign Origin header.
  const cookies = await page.context().cookies(baseURL);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  for (const origin of ["https://evil.test", "null"]) {
    const response = await page.request.post("/api/v1/projects", {
      headers: { cookie, origin, "content-type": "application/json" },
      data: { name: "csrf-direct" },
    });
    expect(response.status()).toBe(403);
  }
  const after = await page.request.get("/api/v1/projects");
  expect(((await after.json()) as { projects: unknown[] }).projects.length).toBe(countBefore);
});

test("with scripts off, the sign-in form signs in and no URL carries the credentials (case 31)", async ({
  browser,
  baseURL,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const urls: string[] = [];
  page.on("request", (request) => urls.push(request.url()));
  page.on("framenavigated", (frame) => urls.push(frame.url()));
  await page.goto("/login?next=/settings/tokens");

  // A wrong password comes back to the form with the message, and only the reason in the URL.
  await page.getByLabel("Email").fill(DEMO_EMAIL);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
  expect(page.url()).toBe(`${baseURL}/login?error=invalid&next=%2Fsettings%2Ftokens`);

  await page.getByLabel("Email").fill(DEMO_EMAIL);
  await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  // The page guard sends visitors without a session to /login: being here means signed in.
  await expect(page).toHaveURL(`${baseURL}/settings/tokens`);
  await expect(page.getByRole("heading", { name: "Personal access tokens" })).toBeVisible();
  const me = await context.request.get("/api/v1/me");
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ email: DEMO_EMAIL });

  expect(urls.length).toBeGreaterThan(3);
  for (const url of urls) {
    for (const typed of [E2E_DEMO_PASSWORD, "not the password", DEMO_EMAIL]) {
      expect(decodeURIComponent(url.replaceAll("+", " "))).not.toContain(typed);
    }
    expect(url).not.toMatch(/[?&](email|password)=/);
  }
  await context.close();
});

test("no database, session or Jupyter secret appears in pages or script bundles (case 19)", async ({
  page,
  request,
}) => {
  const scripts = new Set<string>();
  page.on("response", (response) => {
    if (response.url().endsWith(".js")) scripts.add(response.url());
  });
  await signInAsDemo(page);
  const bodies: string[] = [];
  for (const url of ["/", "/login", "/signup", "/settings/tokens", "/catalog", "/community"]) {
    await page.goto(url);
    bodies.push(await page.content());
  }
  for (const script of scripts) bodies.push(await (await request.get(script)).text());
  expect(scripts.size).toBeGreaterThan(0);
  const everything = bodies.join("\n");
  for (const secret of secretsOfThisServer()) {
    expect(secret.length).toBeGreaterThan(10);
    expect(everything).not.toContain(secret);
  }
  expect(everything).not.toMatch(/postgres(ql)?:\/\/[^"'\s]*:[^"'\s]*@/);
  expect(everything).not.toMatch(/JUPYTER_TOKEN|jupyter_token|\?token=/i);
});

test("pages carry a CSP without unsafe-eval", async ({ request }) => {
  const response = await request.get("/login");
  const csp = response.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'self'");
});
