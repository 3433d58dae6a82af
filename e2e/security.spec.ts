// SECURITY.md cases 18, 19 and 31: cross-origin requests are rejected; no credentials reach pages,
// bundles, WebSocket URLs or, from a sign-in form sent without scripts, any URL.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { DEMO_EMAIL, signInAsDemo } from "./account-fixtures";
import { E2E_DEMO_PASSWORD } from "./global-setup";
import { AUTH, createNotebook } from "./notebook-fixtures";

function secretsOfThisServer(): string[] {
  const dataDir = process.env.FLINT_E2E_DATA_DIR ?? "";
  const read = (file: string) => readFileSync(path.join(dataDir, file), "utf8").trim();
  return [read("postgres/.flint-password"), read("secrets/auth-secret")];
}

/**
 * A page of another origin on this machine: same site as Flint (127.0.0.1, another port), so the
 * browser sends Flint's session cookie with its requests whatever SameSite says; only Flint's
 * Origin check stands between it and the API.
 */
async function startCrossSitePage(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

test("another origin cannot change anything with the user's cookie (case 18)", async ({
  page,
  request,
  baseURL,
}) => {
  await signInAsDemo(page);
  // Targets a cross-site page can reach without a CORS preflight: a POST without a body
  // (publishing a notebook), a multipart upload (registering an asset), and the notebook socket.
  const { id: notebookId, projectId } = await createNotebook(request, `Private ${Date.now()}`, [
    { cell_type: "code", source: "1 + 1" },
  ]);
  const assetName = `csrf_${Date.now()}`;
  const wsUrl = `${baseURL!.replace(/^http/, "ws")}/ws/notebooks/${notebookId}`;
  const attacker = await startCrossSitePage(`<!doctype html><html><body>
    <iframe name="sink" style="display:none"></iframe>
    <form id="publish" method="POST" target="sink" action="${baseURL}/api/v1/notebooks/${notebookId}/publish"></form>
    <script>
      window.results = {};
      const form = new FormData();
      form.append("projectId", "${projectId}");
      form.append("name", "${assetName}");
      form.append("file", new Blob(["a,b\\n1,2\\n"], { type: "text/csv" }), "rows.csv");
      window.results.fetch = fetch("${baseURL}/api/v1/catalog/assets?projectId=${projectId}", {
        method: "POST", mode: "no-cors", credentials: "include", body: form,
      }).then(() => "sent", (error) => "failed: " + error.message);
      window.results.socket = new Promise((resolve) => {
        const socket = new WebSocket("${wsUrl}");
        socket.onopen = () => { resolve("open"); socket.close(); };
        socket.onerror = () => resolve("refused");
      });
      document.getElementById("publish").submit();
    </script></body></html>`);
  try {
    // The Flint tab's cookie is there: the attacker's requests would carry it.
    const cookies = await page.context().cookies(baseURL);
    expect(cookies.length).toBeGreaterThan(0);
    const posts: { url: string; cookie: boolean }[] = [];
    page.on("request", (sent) => {
      if (sent.method() === "POST" && sent.url().startsWith(baseURL!))
        void sent
          .allHeaders()
          .then((headers) => posts.push({ url: sent.url(), cookie: Boolean(headers.cookie) }));
    });
    await page.goto(attacker.url);
    const results = await page.evaluate(async () => {
      const r = (window as unknown as { results: { fetch: Promise<string>; socket: Promise<string> } })
        .results;
      return { fetch: await r.fetch, socket: await r.socket };
    });
    expect(results).toEqual({ fetch: "sent", socket: "refused" });
    await expect.poll(() => posts.length).toBe(2);
    // The form's POST carried the session cookie: only the Origin check stops it.
    expect(posts.find((post) => post.url.endsWith("/publish"))?.cookie).toBe(true);
  } finally {
    await attacker.close();
  }
  // Nothing changed: the notebook is not published, no asset was registered.
  const anonymous = await request.get(`/api/v1/notebooks/${notebookId}/published`);
  expect(anonymous.status()).not.toBe(200);
  const assets = await request.get(`/api/v1/catalog/assets?projectId=${projectId}`, { headers: AUTH });
  expect(JSON.stringify(await assets.json())).not.toContain(assetName);

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
