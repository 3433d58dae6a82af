// Who may join (FLINT_SIGNUP): each mode through better-auth's real sign-up endpoint on a real
// database, as the sign-up page and API clients call it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { upsertPasswordUser } from "./seed.js";
import { createTestApi, ORIGIN, type TTestApi, type TTestUser } from "./testing/test-api.js";
import { createToken } from "./tokens.js";

type TSignUpBody = {
  name?: string;
  email: string;
  password?: string;
  inviteToken?: string;
  isAdmin?: boolean;
};

/** Posts to better-auth's sign-up endpoint as the page does; returns the status, body and cookie. */
async function signUpWith(t: TTestApi, body: TSignUpBody) {
  const response = await t.api.handle(
    new Request(`${ORIGIN}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ name: "New Person", password: "correct horse battery", ...body }),
    }),
  );
  const cookie = response.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  const json = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  return { status: response.status, json, cookie };
}

async function signIn(t: TTestApi, email: string, password: string): Promise<number> {
  const response = await t.api.handle(
    new Request(`${ORIGIN}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ email, password }),
    }),
  );
  return response.status;
}

/** A site administrator of `t`, made the way the CLI's `user add --admin` makes one. */
async function administrator(t: TTestApi): Promise<TTestUser> {
  const email = `admin-${Date.now()}@example.test`;
  const { userId } = await upsertPasswordUser(t.prisma, {
    email,
    name: "Admin",
    password: "admin password long",
    isAdmin: true,
  });
  const { secret } = await createToken(t.prisma, userId, "test");
  return { id: userId, email, cookie: "", token: secret };
}

/** Invites `email` through the API; returns the link's secret and the invitation's id. */
async function invite(t: TTestApi, admin: TTestUser, email: string): Promise<{ secret: string; id: string }> {
  const created = await t.call("POST", "/api/v1/admin/invitations", {
    as: admin,
    via: "token",
    json: { email },
  });
  expect(created.status, created.text).toBe(201);
  const url = new URL(created.body.url as string);
  expect(`${url.origin}${url.pathname}`).toBe(`${t.config.publicUrl}/signup`);
  return { secret: url.searchParams.get("invite") ?? "", id: (created.body.invitation as { id: string }).id };
}

async function userExists(t: TTestApi, email: string): Promise<boolean> {
  return (await t.prisma.user.count({ where: { email: email.toLowerCase() } })) > 0;
}

describe("FLINT_SIGNUP configuration", () => {
  it("defaults to open and refuses a value that is not a mode, naming the variable", () => {
    expect(loadConfig({ FLINT_DATA_DIR: "/tmp/flint-signup-config" }).signUpMode).toBe("open");
    expect(() => loadConfig({ FLINT_DATA_DIR: "/tmp/flint-signup-config", FLINT_SIGNUP: "maybe" })).toThrow(
      /FLINT_SIGNUP/,
    );
  });
});

describe("FLINT_SIGNUP=open", () => {
  let t: TTestApi;
  beforeAll(async () => {
    t = await createTestApi();
  });
  afterAll(async () => t.close());

  it("lets anyone sign up, and the page hears it is open", async () => {
    const status = await t.call("GET", "/api/v1/signup");
    expect(status.body).toEqual({ mode: "open", invitation: null, problem: null });
    const email = `open-${Date.now()}@example.test`;
    const signedUp = await signUpWith(t, { email });
    expect(signedUp.status).toBe(200);
    const me = await t.call("GET", "/api/v1/me", { headers: { cookie: signedUp.cookie } });
    expect(me.body).toMatchObject({ email, isAdmin: false });
  });

  it("never makes an administrator from the sign-up body", async () => {
    const email = `sneaky-${Date.now()}@example.test`;
    const signedUp = await signUpWith(t, { email, isAdmin: true });
    expect(signedUp.status).toBe(200);
    const row = await t.prisma.user.findUniqueOrThrow({ where: { email }, select: { isAdmin: true } });
    expect(row.isAdmin).toBe(false);
  });

  it("marks an invitation for the address used when it signs up without the link", async () => {
    const admin = await administrator(t);
    const email = `invited-open-${Date.now()}@example.test`;
    const { id } = await invite(t, admin, email);
    expect((await signUpWith(t, { email })).status).toBe(200);
    const pending = await t.call("GET", "/api/v1/admin/invitations", { as: admin, via: "token" });
    expect((pending.body.invitations as { id: string }[]).map((row) => row.id)).not.toContain(id);
  });
});

describe("FLINT_SIGNUP=closed", () => {
  let t: TTestApi;
  beforeAll(async () => {
    t = await createTestApi({ env: { FLINT_SIGNUP: "closed" } });
  });
  afterAll(async () => t.close());

  it("refuses every sign-up with a 403 that says whom to ask, and creates nobody", async () => {
    const email = `closed-${Date.now()}@example.test`;
    const refused = await signUpWith(t, { email });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("SIGN_UP_CLOSED");
    expect(refused.json.message).toMatch(/closed.*ask an administrator/i);
    expect(refused.cookie).toBe("");
    expect(await userExists(t, email)).toBe(false);
    const status = await t.call("GET", "/api/v1/signup");
    expect(status.body).toMatchObject({
      mode: "closed",
      invitation: null,
      problem: { reason: "SIGN_UP_CLOSED" },
    });
  });

  it("answers an existing address exactly like a new one (no account enumeration)", async () => {
    const admin = await administrator(t);
    const existing = await signUpWith(t, { email: admin.email });
    const fresh = await signUpWith(t, { email: `nobody-${Date.now()}@example.test` });
    expect(existing.status).toBe(403);
    expect(existing.json).toEqual(fresh.json);
  });

  it("ignores invitations: even a valid link cannot sign up", async () => {
    const admin = await administrator(t);
    const email = `closed-invited-${Date.now()}@example.test`;
    const { secret } = await invite(t, admin, email);
    const refused = await signUpWith(t, { email, inviteToken: secret });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("SIGN_UP_CLOSED");
    expect(await userExists(t, email)).toBe(false);
  });

  it("still lets accounts made by `flint user add` sign in", async () => {
    const email = `cli-${Date.now()}@example.test`;
    await upsertPasswordUser(t.prisma, { email, name: "Ops", password: "a long password" });
    expect(await signIn(t, email, "a long password")).toBe(200);
  });
});

describe("FLINT_SIGNUP=invite", () => {
  let t: TTestApi;
  let admin: TTestUser;
  beforeAll(async () => {
    t = await createTestApi({ env: { FLINT_SIGNUP: "invite" } });
    admin = await administrator(t);
  });
  afterAll(async () => t.close());

  it("refuses a sign-up without an invitation, saying one is needed", async () => {
    const email = `uninvited-${Date.now()}@example.test`;
    const refused = await signUpWith(t, { email });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("INVITATION_REQUIRED");
    expect(refused.json.message).toMatch(/needs an invitation: ask an administrator/);
    expect(await userExists(t, email)).toBe(false);
    expect((await t.call("GET", "/api/v1/signup")).body).toMatchObject({
      mode: "invite",
      invitation: null,
      problem: { reason: "INVITATION_REQUIRED" },
    });
  });

  it("accepts the invited address once, and the link then stops working", async () => {
    const email = `invited-${Date.now()}@example.test`;
    const { secret, id } = await invite(t, admin, email);
    const status = await t.call("GET", `/api/v1/signup?invite=${encodeURIComponent(secret)}`);
    expect(status.body).toMatchObject({ mode: "invite", invitation: { email }, problem: null });

    // The address as a person may type it: better-auth stores it lower-case, so it matches.
    const signedUp = await signUpWith(t, { email: email.toUpperCase(), inviteToken: secret });
    expect(signedUp.status, JSON.stringify(signedUp.json)).toBe(200);
    const me = await t.call("GET", "/api/v1/me", { headers: { cookie: signedUp.cookie } });
    expect(me.body).toMatchObject({ email, isAdmin: false });
    const pending = await t.call("GET", "/api/v1/admin/invitations", { as: admin, via: "token" });
    expect((pending.body.invitations as { id: string }[]).map((row) => row.id)).not.toContain(id);

    const again = await signUpWith(t, { email: `second-${Date.now()}@example.test`, inviteToken: secret });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe("INVITATION_USED");
    expect((await t.call("GET", `/api/v1/signup?invite=${encodeURIComponent(secret)}`)).body).toMatchObject({
      invitation: null,
      problem: { reason: "INVITATION_USED" },
    });
  });

  it("refuses an invitation for another address, naming the invited one", async () => {
    const email = `meant-${Date.now()}@example.test`;
    const { secret } = await invite(t, admin, email);
    const other = `other-${Date.now()}@example.test`;
    const refused = await signUpWith(t, { email: other, inviteToken: secret });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("INVITATION_OTHER_EMAIL");
    expect(refused.json.message).toContain(email);
    expect(await userExists(t, other)).toBe(false);
    // The invitation is not used up by the refused attempt.
    expect((await signUpWith(t, { email, inviteToken: secret })).status).toBe(200);
  });

  it("refuses an expired invitation with its date, and a revoked or unknown one", async () => {
    const expiredEmail = `late-${Date.now()}@example.test`;
    const expired = await invite(t, admin, expiredEmail);
    const past = new Date(Date.now() - 60_000);
    await t.prisma.invitation.update({ where: { id: expired.id }, data: { expiresAt: past } });
    const late = await signUpWith(t, { email: expiredEmail, inviteToken: expired.secret });
    expect(late.status).toBe(403);
    expect(late.json.code).toBe("INVITATION_EXPIRED");
    expect(late.json.message).toContain(past.toISOString().slice(0, 10));
    const listed = await t.call("GET", "/api/v1/admin/invitations", { as: admin, via: "token" });
    expect(listed.body.invitations).toContainEqual(
      expect.objectContaining({ id: expired.id, status: "expired" }),
    );

    const revokedEmail = `withdrawn-${Date.now()}@example.test`;
    const revoked = await invite(t, admin, revokedEmail);
    expect(
      (await t.call("DELETE", `/api/v1/admin/invitations/${revoked.id}`, { as: admin, via: "token" })).status,
    ).toBe(200);
    const withdrawn = await signUpWith(t, { email: revokedEmail, inviteToken: revoked.secret });
    expect(withdrawn.status).toBe(403);
    expect(withdrawn.json.code).toBe("INVITATION_REVOKED");

    const unknown = await signUpWith(t, { email: revokedEmail, inviteToken: "not-a-real-invitation" });
    expect(unknown.status).toBe(403);
    expect(unknown.json.code).toBe("INVITATION_UNKNOWN");
    expect(await userExists(t, expiredEmail)).toBe(false);
    expect(await userExists(t, revokedEmail)).toBe(false);
  });
});
