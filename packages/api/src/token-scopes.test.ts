// Personal access token scopes through the one authorization check: a `read` token cannot run or
// edit, `run` runs but does not edit, `write` edits but does not manage the project or the site,
// `admin` does everything its holder's role allows; expired tokens are refused. The scope only
// narrows the role: a `write` token of a viewer still cannot edit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTokenScope } from "./permissions.js";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";
import { createToken } from "./tokens.js";

let t: TTestApi;
let owner: TTestUser;
let viewer: TTestUser;
let projectId: string;
let notebookId: string;
const tokens = {} as Record<TTokenScope, string>;

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ id: "c1", cell_type: "code", source: "1+1", metadata: {}, outputs: [], execution_count: null }],
};

beforeAll(async () => {
  t = await createTestApi();
  owner = await t.signUp("Owner");
  viewer = await t.signUp("Viewer");
  projectId = (await t.call("POST", "/api/v1/projects", { as: owner, json: { name: "Scopes" } })).body
    .id as string;
  notebookId = (
    await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
      as: owner,
      json: { name: "N", notebook: NOTEBOOK },
    })
  ).body.id as string;
  for (const scope of ["read", "run", "write", "admin"] as const)
    tokens[scope] = (await createToken(t.prisma, owner.id, scope, { scope })).secret;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** One call per capability, as the token holder (the project's admin) makes it. */
const CAPABILITIES: Record<string, (secret: string) => Promise<number>> = {
  "read a notebook": async (secret) =>
    (await t.call("GET", `/api/v1/notebooks/${notebookId}`, { headers: bearer(secret) })).status,
  // No kernels in this API: an allowed run answers 503 (kernels unavailable), a refused one 403.
  "run cells": async (secret) =>
    (await t.call("POST", `/api/v1/notebooks/${notebookId}/run`, { headers: bearer(secret), json: {} }))
      .status,
  "edit a notebook": async (secret) => {
    const current = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { headers: bearer(tokens.admin) });
    return (
      await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
        headers: bearer(secret),
        json: { version: current.body.version, notebook: NOTEBOOK },
      })
    ).status;
  },
  "create a project": async (secret) =>
    (await t.call("POST", "/api/v1/projects", { headers: bearer(secret), json: { name: "More" } })).status,
  "add a project member": async (secret) => {
    const someone = await t.signUp("Someone");
    return (
      await t.call("POST", `/api/v1/projects/${projectId}/members`, {
        headers: bearer(secret),
        json: { email: someone.email, role: "viewer" },
      })
    ).status;
  },
  "publish a notebook": async (secret) =>
    (await t.call("POST", `/api/v1/notebooks/${notebookId}/publish`, { headers: bearer(secret) })).status,
  "create a token": async (secret) =>
    (await t.call("POST", "/api/v1/tokens", { headers: bearer(secret), json: { name: "x", scope: "admin" } }))
      .status,
};

/** The status each scope must get for each capability. */
const EXPECTED: Record<TTokenScope, Record<string, number>> = {
  read: {
    "read a notebook": 200,
    "run cells": 403,
    "edit a notebook": 403,
    "create a project": 403,
    "add a project member": 403,
    "publish a notebook": 403,
    "create a token": 403,
  },
  run: {
    "read a notebook": 200,
    "run cells": 503,
    "edit a notebook": 403,
    "create a project": 403,
    "add a project member": 403,
    "publish a notebook": 403,
    "create a token": 403,
  },
  write: {
    "read a notebook": 200,
    "run cells": 503,
    "edit a notebook": 200,
    "create a project": 201,
    "add a project member": 403,
    "publish a notebook": 403,
    "create a token": 403,
  },
  admin: {
    "read a notebook": 200,
    "run cells": 503,
    "edit a notebook": 200,
    "create a project": 201,
    "add a project member": 201,
    "publish a notebook": 200,
    "create a token": 201,
  },
};

describe("token scopes", () => {
  it("answer every capability as the scope table says", async () => {
    const got: Record<string, Record<string, number>> = {};
    for (const scope of ["read", "run", "write", "admin"] as const) {
      got[scope] = {};
      for (const [name, attempt] of Object.entries(CAPABILITIES))
        (got[scope] as Record<string, number>)[name] = await attempt(tokens[scope]);
    }
    expect(got).toEqual(EXPECTED);
  });

  it("name the scope a refused call needs", async () => {
    const refused = await t.call("POST", `/api/v1/notebooks/${notebookId}/run`, {
      headers: bearer(tokens.read),
      json: {},
    });
    expect(refused.body).toMatchObject({ error: { code: "forbidden" } });
    const edit = await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
      headers: bearer(tokens.run),
      json: { version: 1, notebook: NOTEBOOK },
    });
    expect(String((edit.body.error as { message: string }).message)).toMatch(
      /scope is run; notebook\.edit needs a token with scope write, admin/,
    );
  });

  it("still answer 404 for other people's projects, and never widen a role", async () => {
    const stranger = await t.signUp("Stranger");
    const readOnly = (await createToken(t.prisma, stranger.id, "r", { scope: "read" })).secret;
    const strangersWrite = (await createToken(t.prisma, stranger.id, "w", { scope: "write" })).secret;
    expect((await t.call("GET", `/api/v1/projects/${projectId}`, { headers: bearer(readOnly) })).status).toBe(
      404,
    );
    expect(
      (
        await t.call("POST", `/api/v1/projects/${projectId}/notebooks`, {
          headers: bearer(strangersWrite),
          json: { name: "Mine", notebook: NOTEBOOK },
        })
      ).status,
    ).toBe(404);
    await t.call("POST", `/api/v1/projects/${projectId}/members`, {
      as: owner,
      json: { email: viewer.email, role: "viewer" },
    });
    const viewersWrite = (await createToken(t.prisma, viewer.id, "w", { scope: "write" })).secret;
    const current = await t.call("GET", `/api/v1/notebooks/${notebookId}`, { headers: bearer(viewersWrite) });
    expect(current.status).toBe(200);
    expect(
      (
        await t.call("PUT", `/api/v1/notebooks/${notebookId}`, {
          headers: bearer(viewersWrite),
          json: { version: current.body.version, notebook: NOTEBOOK },
        })
      ).status,
    ).toBe(403);
  });

  it("refuse an expired token, and create tokens with a scope and an expiry", async () => {
    const expired = (
      await createToken(t.prisma, owner.id, "old", { scope: "admin", expiresAt: new Date(Date.now() - 1000) })
    ).secret;
    expect((await t.call("GET", "/api/v1/me", { headers: bearer(expired) })).status).toBe(401);

    const created = await t.call("POST", "/api/v1/tokens", {
      as: owner,
      json: { name: "CI reader", scope: "read", expiresInDays: 30 },
    });
    expect(created.status).toBe(201);
    const token = created.body.token as { scope: string; expiresAt: string };
    expect(token.scope).toBe("read");
    const days = (new Date(token.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const noScope = await t.call("POST", "/api/v1/tokens", { as: owner, json: { name: "x" } });
    expect(noScope.status).toBe(400);
    expect(noScope.text).toMatch(/scope/);
  });
});
