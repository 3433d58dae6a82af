// The sign-in and sign-up pages' HTML forms, as a browser without scripts sends them (SECURITY.md
// case 31: no credentials in any URL; case 18: no cross-site form; case 19: no open redirect).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, ORIGIN, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let alice: TTestUser;

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
});
afterAll(async () => t.close());

const FORM = "application/x-www-form-urlencoded";
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** Posts `fields` form-encoded, as a `<form method="post">` does (a navigation unless `accept` says JSON). */
async function postForm(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await t.api.handle(
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { "content-type": FORM, origin: ORIGIN, accept: BROWSER_ACCEPT, ...headers },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

/** The email of the session the response's cookies carry, or null. */
async function sessionEmail(response: Response): Promise<string | null> {
  const cookie = response.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  if (!cookie) return null;
  const me = await t.call("GET", "/api/v1/me", { headers: { cookie } });
  return me.status === 200 ? (me.body.email as string) : null;
}

describe("the sign-in form without scripts", () => {
  it("signs in and sends the browser to its next path with a 303", async () => {
    const response = await postForm("/api/forms/sign-in", {
      email: alice.email,
      password: "correct horse battery",
      next: "/settings/tokens?tab=x",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/settings/tokens?tab=x");
    expect(await sessionEmail(response)).toBe(alice.email);
  });

  it("sends a wrong password and an unknown email back to the form alike, without what was typed", async () => {
    const wrong = await postForm("/api/forms/sign-in", {
      email: alice.email,
      password: "not the password",
      next: "/settings/tokens",
    });
    const unknown = await postForm("/api/forms/sign-in", {
      email: "nobody-here@example.test",
      password: "not the password",
      next: "/settings/tokens",
    });
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/login?error=invalid&next=%2Fsettings%2Ftokens");
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("a disabled account gets the same answer as a wrong password", async () => {
    const carol = await t.signUp("Carol");
    await t.prisma.user.update({ where: { id: carol.id }, data: { disabledAt: new Date() } });
    const response = await postForm("/api/forms/sign-in", {
      email: carol.email,
      password: "correct horse battery",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login?error=invalid");
    expect(await sessionEmail(response)).toBeNull();
  });

  it("follows only same-origin next paths (case 19)", async () => {
    for (const next of ["//evil.com", "/\\evil.com", "https://evil.com/x", "javascript:alert(1)"]) {
      const response = await postForm("/api/forms/sign-in", {
        email: alice.email,
        password: "correct horse battery",
        next,
      });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/");
    }
  });
});

describe("the sign-in form from a hydrated page", () => {
  it("answers JSON: the path to go to with the session cookie, or the reason it was refused", async () => {
    const json = { accept: "application/json" };
    const ok = await postForm(
      "/api/forms/sign-in",
      { email: alice.email, password: "correct horse battery", next: "/catalog" },
      json,
    );
    expect(ok.status).toBe(200);
    expect(await ok.clone().json()).toEqual({ redirect: "/catalog" });
    expect(await sessionEmail(ok)).toBe(alice.email);

    const refused = await postForm("/api/forms/sign-in", { email: alice.email, password: "nope" }, json);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: { code: "unauthorized", message: "Wrong email or password.", reason: "invalid" },
    });
  });
});

describe("the sign-up form without scripts", () => {
  it("creates the account, signs it in and sends the browser on", async () => {
    const email = `dana-${Date.now()}@example.test`;
    const response = await postForm("/api/forms/sign-up", {
      name: "Dana",
      email,
      password: "a long enough password",
      next: "/community",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/community");
    expect(await sessionEmail(response)).toBe(email);
  });

  it("names why an account was refused, and nothing typed", async () => {
    const taken = await postForm("/api/forms/sign-up", {
      name: "A",
      email: alice.email,
      password: "another long password",
    });
    expect(taken.status).toBe(303);
    expect(taken.headers.get("location")).toBe("/signup?error=exists");
    const short = await postForm("/api/forms/sign-up", {
      name: "B",
      email: `short-${Date.now()}@example.test`,
      password: "short",
      next: "/catalog",
    });
    expect(short.headers.get("location")).toBe("/signup?error=password_short&next=%2Fcatalog");
    const badEmail = await postForm("/api/forms/sign-up", {
      name: "C",
      email: "not an email",
      password: "long enough pw",
    });
    expect(badEmail.headers.get("location")).toBe("/signup?error=email");
  });
});

describe("what the form endpoints refuse", () => {
  const good = { email: "x@example.test", password: "whatever it is" };

  it("a form from another site or with no Origin (login CSRF, case 18)", async () => {
    for (const origin of ["https://evil.test", "null"]) {
      const response = await postForm(
        "/api/forms/sign-in",
        { email: alice.email, password: "correct horse battery" },
        { origin },
      );
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await response.json()).toMatchObject({ error: { code: "forbidden" } });
    }
    const noOrigin = await t.api.handle(
      new Request(`${ORIGIN}/api/forms/sign-in`, {
        method: "POST",
        headers: { "content-type": FORM },
        body: new URLSearchParams({ email: alice.email, password: "correct horse battery" }).toString(),
      }),
    );
    expect(noOrigin.status).toBe(403);
  });

  it("bad input with a clear 4xx", async () => {
    const missing = await postForm("/api/forms/sign-in", { email: alice.email });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: {
        code: "bad_request",
        message: "form.password: Invalid input: expected string, received undefined",
      },
    });
    const empty = await postForm("/api/forms/sign-in", { email: alice.email, password: "" });
    expect(((await empty.json()) as { error: { message: string } }).error.message).toBe(
      "form.password: Enter your password.",
    );

    const asJson = await postForm("/api/forms/sign-in", good, { "content-type": "application/json" });
    expect(asJson.status).toBe(415);
    const huge = await postForm("/api/forms/sign-in", { ...good, next: `/${"x".repeat(20_000)}` });
    expect(huge.status).toBe(413);
    const get = await t.api.handle(new Request(`${ORIGIN}/api/forms/sign-in`));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const unknown = await postForm("/api/forms/elsewhere", good);
    expect(unknown.status).toBe(404);
  });
});
