import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, ORIGIN, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let alice: TTestUser;
let bob: TTestUser;

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  bob = await t.signUp("Bob");
});
afterAll(async () => t.close());

describe("authentication", () => {
  it("answers /api/v1/me for a bearer token and a session cookie", async () => {
    const byToken = await t.call("GET", "/api/v1/me", { as: alice, via: "token" });
    expect(byToken.status).toBe(200);
    expect(byToken.body).toMatchObject({ id: alice.id, email: alice.email, name: "Alice" });
    const byCookie = await t.call("GET", "/api/v1/me", { as: alice });
    expect(byCookie.body).toMatchObject({ id: alice.id });
  });

  it("gives 401 JSON for a missing, malformed, unknown or revoked token", async () => {
    for (const authorization of [undefined, "Bearer", "Basic abc", "Bearer flint_pat_unknown"]) {
      const response = await t.call("GET", "/api/v1/me", { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      expect(response.body).toMatchObject({ error: { code: "unauthorized" } });
    }
    const created = await t.call("POST", "/api/v1/tokens", {
      as: alice,
      via: "token",
      json: { name: "short-lived", scope: "read" },
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    const tokenId = (created.body.token as { id: string }).id;
    expect(
      (await t.call("GET", "/api/v1/me", { headers: { authorization: `Bearer ${secret}` } })).status,
    ).toBe(200);
    const listed = await t.call("GET", "/api/v1/tokens", { as: alice });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect((await t.call("DELETE", `/api/v1/tokens/${tokenId}`, { as: alice })).status).toBe(200);
    const revoked = await t.call("GET", "/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
    expect(revoked.status).toBe(401);
    expect(revoked.text).not.toMatch(/<html|at \w+ \(/i);
  });

  it("refuses tokens of a disabled user", async () => {
    const carol = await t.signUp("Carol");
    await t.prisma.user.update({ where: { id: carol.id }, data: { disabledAt: new Date() } });
    expect((await t.call("GET", "/api/v1/me", { as: carol, via: "token" })).status).toBe(401);
  });

  it("gives the same answer for an unknown email and a wrong password", async () => {
    const attempt = async (email: string) => {
      const response = await t.api.handle(
        new Request(`${ORIGIN}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: ORIGIN },
          body: JSON.stringify({ email, password: "wrong password!" }),
        }),
      );
      return { status: response.status, body: await response.text() };
    };
    const wrongPassword = await attempt(alice.email);
    const unknownEmail = await attempt("nobody@example.test");
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail).toEqual(wrongPassword);
  });
});

describe("bad input", () => {
  it("answers malformed JSON, wrong types, wrong content type and oversized bodies with 4xx and a message", async () => {
    const malformed = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      body: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: "bad_request" } });
    expect((malformed.body.error as { message: string }).message).toMatch(/Malformed JSON/);

    const wrongType = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      json: { name: 42 },
    });
    expect(wrongType.status).toBe(400);
    expect((wrongType.body.error as { message: string }).message).toMatch(/body\.name/);

    const unknownField = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      json: { name: "x", admin: true },
    });
    expect(unknownField.status).toBe(400);

    const form = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);

    const huge = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      json: { name: "x", description: "y".repeat(2_000_000) },
    });
    expect(huge.status).toBe(413);
    expect((huge.body.error as { message: string }).message).toMatch(/larger than the limit/);

    const notFound = await t.call("GET", "/api/v1/nothing-here", { as: alice, via: "token" });
    expect(notFound.status).toBe(404);
    const wrongMethod = await t.call("PATCH", "/api/v1/projects", { as: alice, via: "token" });
    expect(wrongMethod.status).toBe(405);
  });
});

describe("cross-origin protection (SECURITY.md case 18)", () => {
  it("rejects cookie-authenticated state changes from another origin or none", async () => {
    for (const origin of ["https://evil.test", "null", ""]) {
      const response = await t.call("POST", "/api/v1/projects", {
        as: alice,
        json: { name: "csrf" },
        headers: origin ? { origin } : { origin: "" },
      });
      expect(response.status).toBe(403);
    }
    const sameOrigin = await t.call("POST", "/api/v1/projects", { as: alice, json: { name: "from Flint" } });
    expect(sameOrigin.status).toBe(201);
  });
});

describe("projects and the authorization check", () => {
  it("makes the creator admin and hides other users' projects behind 404", async () => {
    const created = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      json: { name: "Sales", description: "Q3" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Sales", role: "admin" });
    const id = created.body.id as string;
    const list = await t.call("GET", "/api/v1/projects", { as: alice, via: "token" });
    expect((list.body.projects as { id: string }[]).map((project) => project.id)).toContain(id);
    const asBob = await t.call("GET", `/api/v1/projects/${id}`, { as: bob, via: "token" });
    expect(asBob.status).toBe(404);
    const bobsList = await t.call("GET", "/api/v1/projects", { as: bob, via: "token" });
    expect((bobsList.body.projects as { id: string }[]).map((project) => project.id)).not.toContain(id);
    const unknown = await t.call("GET", "/api/v1/projects/does-not-exist", { as: alice, via: "token" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(asBob.body);
  });

  it("lets a viewer read but not create notebooks (403 names the role)", async () => {
    const created = await t.call("POST", "/api/v1/projects", {
      as: alice,
      via: "token",
      json: { name: "Shared" },
    });
    const id = created.body.id as string;
    await t.prisma.projectMember.create({ data: { projectId: id, userId: bob.id, role: "viewer" } });
    expect((await t.call("GET", `/api/v1/projects/${id}/notebooks`, { as: bob, via: "token" })).status).toBe(
      200,
    );
    const denied = await t.call("POST", `/api/v1/projects/${id}/notebooks`, {
      as: bob,
      via: "token",
      json: { name: "nope" },
    });
    expect(denied.status).toBe(403);
    expect((denied.body.error as { message: string }).message).toMatch(/viewer/);
  });
});

describe("OpenAPI document", () => {
  it("is generated from every route's schemas", async () => {
    const response = await t.call("GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const paths = response.body.paths as Record<
      string,
      Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>
    >;
    for (const route of t.api.routes) {
      // A rest-of-path parameter (`{path+}`, the MLflow proxy) is documented as `{path}`.
      const documented = route.path.replace("+}", "}");
      expect(paths[documented]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
    const createProject = paths["/api/v1/projects"]?.post;
    expect(JSON.stringify(createProject?.requestBody)).toContain('"name"');
    // A streamed upload documents both of its bodies: the multipart form and the JSON variants.
    const register = paths["/api/v1/catalog/assets"]?.post?.requestBody as {
      content: Record<
        string,
        { schema: { properties?: Record<string, { format?: string }>; oneOf?: unknown[] } }
      >;
    };
    expect(register.content["multipart/form-data"]?.schema.properties?.file?.format).toBe("binary");
    expect(JSON.stringify(register.content["application/json"]?.schema)).toContain('"connectionId"');
  });
});

describe("health", () => {
  it("tells anyone the status only, and a site administrator the details (session or token)", async () => {
    expect((await t.call("GET", "/api/health")).body).toEqual({ status: "ok" });
    const user = await t.signUp("Hal");
    expect((await t.call("GET", "/api/health", { as: user, via: "token" })).body).toEqual({ status: "ok" });
    await t.prisma.user.update({ where: { id: user.id }, data: { isAdmin: true } });
    const details = {
      status: "ok",
      db: { status: "up", embedded: true },
      jupyter: { status: "not started" },
    };
    expect((await t.call("GET", "/api/health", { as: user, via: "token" })).body).toMatchObject(details);
    expect((await t.call("GET", "/api/health", { as: user })).body).toMatchObject(details);
  });
});
