import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let admin: TTestUser;
let other: TTestUser;

beforeAll(async () => {
  t = await createTestApi();
  admin = await t.signUp("Admin");
  other = await t.signUp("Other");
});
afterAll(async () => t.close());

describe("project members", () => {
  it("invites by email, changes roles, removes, and always keeps an admin", async () => {
    const projectId = (
      await t.call("POST", "/api/v1/projects", { as: admin, via: "token", json: { name: "Team" } })
    ).body.id as string;
    const base = `/api/v1/projects/${projectId}/members`;

    const unknown = await t.call("POST", base, {
      as: admin,
      via: "token",
      json: { email: "ghost@example.test", role: "viewer" },
    });
    expect(unknown.status).toBe(400);
    expect((unknown.body.error as { message: string }).message).toMatch(/sign up/);

    const added = await t.call("POST", base, {
      as: admin,
      via: "token",
      json: { email: other.email, role: "viewer" },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ userId: other.id, role: "viewer" });
    expect(
      (await t.call("POST", base, { as: admin, via: "token", json: { email: other.email, role: "editor" } }))
        .status,
    ).toBe(409);

    // The viewer can see the project and its members, but not manage them.
    expect((await t.call("GET", base, { as: other, via: "token" })).status).toBe(200);
    expect(
      (await t.call("PATCH", `${base}/${other.id}`, { as: other, via: "token", json: { role: "admin" } }))
        .status,
    ).toBe(403);

    const promoted = await t.call("PATCH", `${base}/${other.id}`, {
      as: admin,
      via: "token",
      json: { role: "editor" },
    });
    expect(promoted.body).toMatchObject({ role: "editor" });
    expect(
      (await t.call("PATCH", `${base}/${other.id}`, { as: admin, via: "token", json: { role: "owner" } }))
        .status,
    ).toBe(400);

    const lastAdmin = await t.call("PATCH", `${base}/${admin.id}`, {
      as: admin,
      via: "token",
      json: { role: "viewer" },
    });
    expect(lastAdmin.status).toBe(409);
    expect((await t.call("DELETE", `${base}/${admin.id}`, { as: admin, via: "token" })).status).toBe(409);

    expect((await t.call("DELETE", `${base}/${other.id}`, { as: admin, via: "token" })).status).toBe(200);
    expect((await t.call("GET", `/api/v1/projects/${projectId}`, { as: other, via: "token" })).status).toBe(
      404,
    );
  });
});
