// The Administration API: only site administrators list users, invite and disable; disabling
// ends a user's sessions and stops their tokens, and enabling gives the tokens back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_EMAIL, seed } from "./seed.js";
import { createTestApi, ORIGIN, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let admin: TTestUser;
let member: TTestUser;

async function signIn(email: string): Promise<Response> {
  return await t.api.handle(
    new Request(`${ORIGIN}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ email, password: "correct horse battery" }),
    }),
  );
}

beforeAll(async () => {
  t = await createTestApi();
  admin = await t.signUp("Admin");
  await t.prisma.user.update({ where: { id: admin.id }, data: { isAdmin: true } });
  member = await t.signUp("Member");
});
afterAll(async () => t.close());

describe("who may administer", () => {
  it("tells the pages who is an administrator", async () => {
    expect((await t.call("GET", "/api/v1/me", { as: admin })).body).toMatchObject({ isAdmin: true });
    expect((await t.call("GET", "/api/v1/me", { as: member })).body).toMatchObject({ isAdmin: false });
  });

  it("answers a user who is not an administrator 403 with what to do, and an anonymous caller 401", async () => {
    for (const [method, url] of [
      ["GET", "/api/v1/admin/users"],
      ["GET", "/api/v1/admin/invitations"],
    ] as const) {
      const denied = await t.call(method, url, { as: member });
      expect(denied.status).toBe(403);
      expect((denied.body.error as { message: string }).message).toMatch(/site administrator.*user promote/);
      expect((await t.call(method, url)).status).toBe(401);
    }
    const disable = await t.call("PATCH", `/api/v1/admin/users/${admin.id}`, {
      as: member,
      json: { disabled: true },
    });
    expect(disable.status).toBe(403);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: admin.id } })).disabledAt).toBeNull();
  });

  it("seeds the demo user as an administrator, once: a later demotion sticks", async () => {
    const options = { dataDir: t.config.dataDir, demoPassword: "demo password long" };
    await seed(t.prisma, options);
    const demo = () =>
      t.prisma.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL }, select: { isAdmin: true } });
    expect((await demo()).isAdmin).toBe(true);
    await t.prisma.user.update({ where: { email: DEMO_EMAIL }, data: { isAdmin: false } });
    await seed(t.prisma, options);
    expect((await demo()).isAdmin).toBe(false);
  });

  it("takes the right away at once from an administrator who is demoted", async () => {
    const other = await t.signUp("Deputy");
    await t.prisma.user.update({ where: { id: other.id }, data: { isAdmin: true } });
    expect((await t.call("GET", "/api/v1/admin/users", { as: other, via: "token" })).status).toBe(200);
    await t.prisma.user.update({ where: { id: other.id }, data: { isAdmin: false } });
    expect((await t.call("GET", "/api/v1/admin/users", { as: other, via: "token" })).status).toBe(403);
  });
});

describe("users", () => {
  it("lists every user with name, e-mail, joined and disabled, and nothing secret", async () => {
    const listed = await t.call("GET", "/api/v1/admin/users", { as: admin });
    expect(listed.status).toBe(200);
    const users = listed.body.users as Record<string, unknown>[];
    expect(users).toContainEqual({
      id: member.id,
      name: "Member",
      email: member.email,
      createdAt: expect.any(String),
      disabledAt: null,
      isAdmin: false,
    });
    expect(users.find((user) => user.id === admin.id)).toMatchObject({ isAdmin: true });
    expect(listed.text).not.toMatch(/password|tokenHash|scrypt/i);
  });

  it("disabling ends the sessions and stops the tokens; enabling gives sign-in and tokens back", async () => {
    const carol = await t.signUp("Carol");
    expect((await t.call("GET", "/api/v1/me", { as: carol })).status).toBe(200);
    const disabled = await t.call("PATCH", `/api/v1/admin/users/${carol.id}`, {
      as: admin,
      json: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: carol.id, disabledAt: expect.any(String) });

    expect((await t.call("GET", "/api/v1/me", { as: carol })).status).toBe(401);
    expect((await t.call("GET", "/api/v1/me", { as: carol, via: "token" })).status).toBe(401);
    expect(await t.prisma.session.count({ where: { userId: carol.id } })).toBe(0);
    expect((await signIn(carol.email)).ok).toBe(false);
    const listed = await t.call("GET", "/api/v1/admin/users", { as: admin });
    expect(
      (listed.body.users as { id: string; disabledAt: string | null }[]).find((u) => u.id === carol.id),
    ).toMatchObject({ disabledAt: expect.any(String) });

    const enabled = await t.call("PATCH", `/api/v1/admin/users/${carol.id}`, {
      as: admin,
      json: { disabled: false },
    });
    expect(enabled.body).toMatchObject({ disabledAt: null });
    expect((await t.call("GET", "/api/v1/me", { as: carol, via: "token" })).status).toBe(200);
    expect((await signIn(carol.email)).status).toBe(200);
  });

  it("will not let administrators disable themselves, and 404s an unknown user", async () => {
    const self = await t.call("PATCH", `/api/v1/admin/users/${admin.id}`, {
      as: admin,
      json: { disabled: true },
    });
    expect(self.status).toBe(400);
    expect((self.body.error as { message: string }).message).toMatch(/your own account/);
    expect((await t.call("GET", "/api/v1/me", { as: admin })).status).toBe(200);
    const unknown = await t.call("PATCH", "/api/v1/admin/users/no-such-user", {
      as: admin,
      json: { disabled: true },
    });
    expect(unknown.status).toBe(404);
    const bad = await t.call("PATCH", `/api/v1/admin/users/${member.id}`, {
      as: admin,
      json: { disabled: "yes" },
    });
    expect(bad.status).toBe(400);
  });
});

describe("invitations", () => {
  it("creates one with an expiry and a link shown once; lists it without the secret; revokes it", async () => {
    const email = `guest-${Date.now()}@example.test`;
    const created = await t.call("POST", "/api/v1/admin/invitations", {
      as: admin,
      json: { email: `  ${email.toUpperCase()} `, expiresInDays: 3 },
    });
    expect(created.status).toBe(201);
    const invitation = created.body.invitation as { id: string; email: string; expiresAt: string };
    expect(invitation.email).toBe(email);
    const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThanOrEqual(3);
    const secret = new URL(created.body.url as string).searchParams.get("invite") ?? "";
    expect(secret.length).toBeGreaterThanOrEqual(40);

    const listed = await t.call("GET", "/api/v1/admin/invitations", { as: admin });
    expect(listed.body.invitations).toContainEqual(
      expect.objectContaining({ id: invitation.id, email, status: "pending", invitedBy: "Admin" }),
    );
    expect(listed.text).not.toContain(secret);
    // Only a hash is stored: the database alone cannot sign anyone up.
    expect(JSON.stringify(await t.prisma.invitation.findMany())).not.toContain(secret);

    expect((await t.call("DELETE", `/api/v1/admin/invitations/${invitation.id}`, { as: admin })).status).toBe(
      200,
    );
    const after = await t.call("GET", "/api/v1/admin/invitations", { as: admin });
    expect((after.body.invitations as { id: string }[]).map((row) => row.id)).not.toContain(invitation.id);
    expect((await t.call("DELETE", `/api/v1/admin/invitations/${invitation.id}`, { as: admin })).status).toBe(
      404,
    );
  });

  it("refuses an address that already has an account, and one that is not an address", async () => {
    const taken = await t.call("POST", "/api/v1/admin/invitations", {
      as: admin,
      json: { email: member.email },
    });
    expect(taken.status).toBe(409);
    expect((taken.body.error as { message: string }).message).toContain("already has an account");
    const bad = await t.call("POST", "/api/v1/admin/invitations", {
      as: admin,
      json: { email: "not an email" },
    });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toMatch(/body\.email/);
    const tooLong = await t.call("POST", "/api/v1/admin/invitations", {
      as: admin,
      json: { email: "x@example.test", expiresInDays: 365 },
    });
    expect(tooLong.status).toBe(400);
  });
});
