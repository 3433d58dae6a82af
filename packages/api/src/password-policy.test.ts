// Weak passwords are refused wherever a password is set: better-auth's sign-up (JSON and the HTML
// form), its password change, and upsertPasswordUser (the CLI's `user add`, the demo seed). The
// breached list is checked offline, so these pass on a machine without internet access.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkNewPassword, WeakPasswordError } from "./password-policy.js";
import { MIN_PASSWORD_LENGTH, WEAK_PASSWORD_MESSAGES } from "./password-rules.js";
import { seed, upsertPasswordUser } from "./seed.js";
import { createTestApi, ORIGIN, type TTestApi } from "./testing/test-api.js";

/** The reason `checkNewPassword` gives, or "ok". */
async function verdict(password: string): Promise<string> {
  try {
    await checkNewPassword(password);
    return "ok";
  } catch (error) {
    if (error instanceof WeakPasswordError) return error.reason;
    throw error;
  }
}

describe("checkNewPassword", () => {
  it("refuses short passwords, counting characters as people do", async () => {
    expect(MIN_PASSWORD_LENGTH).toBe(10);
    expect(await verdict("nine char")).toBe("PASSWORD_TOO_SHORT");
    expect(await verdict("ten chars!")).toBe("ok");
    // Nine emoji are nine characters (18 UTF-16 units): still too short.
    expect(await verdict("🔥".repeat(9))).toBe("PASSWORD_TOO_SHORT");
    expect(await verdict("x".repeat(257))).toBe("PASSWORD_TOO_LONG");
  });

  it("refuses breached passwords from the bundled list, whatever their case", async () => {
    for (const password of ["password123", "qwertyuiop", "1q2w3e4r5t", "PassWord123", "1234567890"])
      expect(await verdict(password), password).toBe("PASSWORD_BREACHED");
    for (const password of ["correct horse battery", "my dog eats tulips", "q8#Lm2!vZx"])
      expect(await verdict(password), password).toBe("ok");
  });

  it("says why and what to do", () => {
    expect(WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_SHORT).toContain("at least 10 characters");
    expect(WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED).toMatch(/leaked.*choose another one/);
  });
});

describe("weak passwords through the API", () => {
  let t: TTestApi;
  beforeAll(async () => {
    t = await createTestApi();
  });
  afterAll(async () => {
    await t?.close();
  });

  const signUp = async (email: string, password: string) => {
    const response = await t.api.handle(
      new Request(`${ORIGIN}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN },
        body: JSON.stringify({ name: "Pat", email, password }),
      }),
    );
    return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
  };

  it("sign-up refuses a short and a breached password, and creates no account", async () => {
    const short = await signUp("short@example.test", "short pw");
    expect(short.status).toBe(400);
    expect(short.body.code).toBe("PASSWORD_TOO_SHORT");
    expect(short.body.message).toBe(WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_SHORT);

    const breached = await signUp("breached@example.test", "Password123");
    expect(breached.status).toBe(400);
    expect(breached.body.code).toBe("PASSWORD_BREACHED");
    expect(breached.body.message).toBe(WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED);

    expect(
      await t.prisma.user.count({
        where: { email: { in: ["short@example.test", "breached@example.test"] } },
      }),
    ).toBe(0);
    expect((await signUp("strong@example.test", "my dog eats tulips")).status).toBe(200);
  });

  it("the sign-up form sends the person back with the reason, in JSON and as a redirect", async () => {
    const post = (accept: string) =>
      t.api.handle(
        new Request(`${ORIGIN}/api/forms/sign-up`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, accept },
          body: new URLSearchParams({ name: "Pat", email: "form@example.test", password: "iloveyou12" }),
        }),
      );
    const json = await post("application/json");
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { message: string } }).error.message).toBe(
      WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED,
    );
    const redirect = await post("text/html");
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get("location")).toBe("/signup?error=password_breached");
  });

  it("a password change refuses a breached new password and keeps the old one", async () => {
    const user = await t.signUp("Changer");
    const change = (newPassword: string) =>
      t.call("POST", "/api/auth/change-password", {
        as: user,
        json: { currentPassword: "correct horse battery", newPassword },
      });
    const refused = await change("qwerty12345");
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("PASSWORD_BREACHED");
    const signIn = (password: string) =>
      t.api.handle(
        new Request(`${ORIGIN}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: ORIGIN },
          body: JSON.stringify({ email: user.email, password }),
        }),
      );
    expect((await signIn("qwerty12345")).status).toBe(401);
    expect((await change("short")).body.code).toBe("PASSWORD_TOO_SHORT");
    expect((await change("a brand new passphrase")).status).toBe(200);
    expect((await signIn("a brand new passphrase")).status).toBe(200);
  });

  it("signing in is not affected: a weak password that is wrong is just wrong", async () => {
    const response = await t.api.handle(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN },
        body: JSON.stringify({ email: "nobody@example.test", password: "password123" }),
      }),
    );
    expect(response.status).toBe(401);
  });

  it("upsertPasswordUser (CLI user add, seed) refuses weak passwords and writes nothing", async () => {
    await expect(
      upsertPasswordUser(t.prisma, { email: "ops@example.test", name: "Ops", password: "1234567890" }),
    ).rejects.toThrow(WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED);
    expect(await t.prisma.user.count({ where: { email: "ops@example.test" } })).toBe(0);
    await upsertPasswordUser(t.prisma, {
      email: "ops@example.test",
      name: "Ops",
      password: "ops on duty today",
    });
    // Changing an existing user's password follows the same rule; the old one stays.
    await expect(
      upsertPasswordUser(t.prisma, { email: "ops@example.test", name: "Ops", password: "short" }),
    ).rejects.toBeInstanceOf(WeakPasswordError);
    await expect(seed(t.prisma, { dataDir: t.config.dataDir, demoPassword: "password123" })).rejects.toThrow(
      /^FLINT_DEMO_PASSWORD is refused\. This password appears/,
    );
  });
});
