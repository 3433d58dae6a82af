// Preferences follow the person, not the browser: a session and a token of one user see the same
// record, another user's is separate, and bad input gets a 400 that says what to send.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePreferences } from "./preferences.js";
import { createTestApi, type TTestApi, type TTestUser } from "./testing/test-api.js";

let t: TTestApi;
let alice: TTestUser;
let bob: TTestUser;

beforeAll(async () => {
  t = await createTestApi();
  alice = await t.signUp("Alice");
  bob = await t.signUp("Bob");
});
afterAll(async () => t.close());

describe("preferences", () => {
  it("starts at the defaults and keeps what was changed, per user", async () => {
    const before = await t.call("GET", "/api/v1/me/preferences", { as: alice });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ theme: "system", editorFontSize: 13, lineNumbers: false });

    const changed = await t.call("PATCH", "/api/v1/me/preferences", { as: alice, json: { theme: "dark" } });
    expect(changed.body).toEqual({ theme: "dark", editorFontSize: 13, lineNumbers: false });
    const more = await t.call("PATCH", "/api/v1/me/preferences", {
      as: alice,
      json: { editorFontSize: 18, lineNumbers: true },
    });
    expect(more.body).toEqual({ theme: "dark", editorFontSize: 18, lineNumbers: true });

    // Another credential of the same person (another browser, a token) sees the same record.
    const byToken = await t.call("GET", "/api/v1/me/preferences", { as: alice, via: "token" });
    expect(byToken.body).toEqual({ theme: "dark", editorFontSize: 18, lineNumbers: true });
    // Someone else's are untouched.
    const other = await t.call("GET", "/api/v1/me/preferences", { as: bob });
    expect(other.body).toEqual({ theme: "system", editorFontSize: 13, lineNumbers: false });
  });

  it("answers 400 with a message for values it cannot keep", async () => {
    for (const [json, message] of [
      [{ theme: "sepia" }, /theme must be one of: light, dark, system/],
      [{ editorFontSize: 72 }, /editorFontSize must be at most 24/],
      [{ editorFontSize: 12.5 }, /whole number/],
      [{ lineNumbers: "yes" }, /lineNumbers/],
      [{}, /at least one of theme, editorFontSize, lineNumbers/],
      [{ theme: "dark", isAdmin: true }, /isAdmin/],
    ] as const) {
      const response = await t.call("PATCH", "/api/v1/me/preferences", { as: bob, json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(JSON.stringify(response.body), JSON.stringify(json)).toMatch(message);
    }
    const after = await t.call("GET", "/api/v1/me/preferences", { as: bob });
    expect(after.body).toEqual({ theme: "system", editorFontSize: 13, lineNumbers: false });
  });

  it("refuses anonymous callers and is described in the OpenAPI document", async () => {
    expect((await t.call("GET", "/api/v1/me/preferences")).status).toBe(401);
    expect((await t.call("PATCH", "/api/v1/me/preferences", { json: { theme: "dark" } })).status).toBe(401);
    const document = await t.call("GET", "/api/v1/openapi.json");
    const paths = document.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths["/api/v1/me/preferences"] ?? {}).sort()).toEqual(["get", "patch"]);
  });

  it("reads untrusted copies field by field", () => {
    expect(parsePreferences({ theme: "dark", editorFontSize: 99, lineNumbers: "x" })).toEqual({
      theme: "dark",
      editorFontSize: 13,
      lineNumbers: false,
    });
    expect(parsePreferences(null)).toEqual({ theme: "system", editorFontSize: 13, lineNumbers: false });
  });
});
