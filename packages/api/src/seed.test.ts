// The demo user: made only on a fresh database or when FLINT_DEMO_PASSWORD / FLINT_DEMO_TOKEN asks
// for it, never with FLINT_DEMO=off, and a password its owner changed survives every restart.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_EMAIL, seed } from "./seed.js";
import { createTestApi, ORIGIN, type TTestApi } from "./testing/test-api.js";

let t: TTestApi | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function signIn(api: TTestApi, password: string): Promise<{ status: number; cookie: string }> {
  const response = await api.api.handle(
    new Request(`${ORIGIN}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ email: DEMO_EMAIL, password }),
    }),
  );
  const cookie = response.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  return { status: response.status, cookie };
}

async function changePassword(api: TTestApi, cookie: string, currentPassword: string, newPassword: string) {
  const response = await api.api.handle(
    new Request(`${ORIGIN}/api/auth/change-password`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN, cookie },
      body: JSON.stringify({ currentPassword, newPassword }),
    }),
  );
  expect(response.status, await response.text()).toBe(200);
}

describe("the demo user", () => {
  it("keeps a password its owner changed when FLINT_DEMO_PASSWORD seeds again", async () => {
    t = await createTestApi();
    const options = { dataDir: t.config.dataDir, demoPassword: "the first password" };
    expect((await seed(t.prisma, options)).demo).toBe("created");
    const first = await signIn(t, "the first password");
    expect(first.status).toBe(200);
    await changePassword(t, first.cookie, "the first password", "my own new password");
    // A restart runs the seeding step again with the same environment.
    expect((await seed(t.prisma, options)).demo).toBe("kept");
    expect((await signIn(t, "the first password")).status).toBe(401);
    expect((await signIn(t, "my own new password")).status).toBe(200);
  });

  it("on a fresh database gets a printed password, shown again only while it still works", async () => {
    t = await createTestApi();
    const options = { dataDir: t.config.dataDir };
    const created = await seed(t.prisma, options);
    expect(created.demo).toBe("created");
    const generated = created.generatedPassword ?? "";
    expect(generated.length).toBeGreaterThanOrEqual(16);
    expect(readFileSync(path.join(t.config.dataDir, "secrets", "demo-password"), "utf8")).toBe(generated);
    expect((await seed(t.prisma, options)).generatedPassword).toBe(generated);
    const session = await signIn(t, generated);
    await changePassword(t, session.cookie, generated, "changed after first start");
    const again = await seed(t.prisma, options);
    expect(again.generatedPassword).toBeNull();
    expect((await signIn(t, generated)).status).toBe(401);
    expect((await signIn(t, "changed after first start")).status).toBe(200);
  });

  it("is not made on a database that has users, unless asked for, nor ever with FLINT_DEMO=off", async () => {
    t = await createTestApi();
    await t.signUp("Someone");
    const plain = await seed(t.prisma, { dataDir: t.config.dataDir });
    expect(plain).toMatchObject({ demo: "none", generatedPassword: null });
    expect(existsSync(path.join(t.config.dataDir, "secrets", "demo-password"))).toBe(false);
    const off = await seed(t.prisma, {
      dataDir: t.config.dataDir,
      demoPassword: "x long enough",
      isDemoAllowed: false,
    });
    expect(off.demo).toBe("none");
    expect(await t.prisma.user.findUnique({ where: { email: DEMO_EMAIL } })).toBeNull();
    // Asked for by FLINT_DEMO_TOKEN alone: made, with a generated password.
    const withToken = await seed(t.prisma, {
      dataDir: t.config.dataDir,
      demoToken: "flint_pat_seed_test_token_0123",
    });
    expect(withToken.demo).toBe("created");
    expect(
      (
        await t.call("GET", "/api/v1/me", {
          headers: { authorization: "Bearer flint_pat_seed_test_token_0123" },
        })
      ).body,
    ).toMatchObject({ email: DEMO_EMAIL });
  });
});
