// The contract is the one list of routes: every one declares who may call it, the router refuses
// a table with a route that does not, and every contract entry is served by exactly one route.
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createRouter, type TAnyRoute } from "../router";
import { contract, defineEndpoint, type TResponse } from "./index";

describe("the contract", () => {
  it("does not compile a route without an access rule", () => {
    const declared = defineEndpoint(
      // @ts-expect-error: `access` is missing (tsc fails here if a route could leave it out).
      { method: "GET", path: "/api/v1/nothing", summary: "no rule", tag: "test", response: z.object({}) },
    );
    expect(declared.path).toBe("/api/v1/nothing");
  });

  it("lets anonymous visitors in only on permissions the public role holds", () => {
    defineEndpoint({
      method: "GET",
      path: "/api/v1/notebooks/{id}",
      summary: "published notebooks are readable",
      tag: "test",
      access: {
        permission: "notebook.read",
        target: { kind: "notebook", from: "params.id" },
        anonymous: true,
      },
      response: z.object({}),
    });
    const editAnonymously = {
      permission: "notebook.edit",
      target: { kind: "notebook", from: "params.id" },
      anonymous: true,
    } as const;
    defineEndpoint({
      method: "PUT",
      path: "/api/v1/notebooks/{id}",
      summary: "nobody edits anonymously",
      tag: "test",
      // @ts-expect-error: notebook.edit is not a permission of the public role.
      access: editAnonymously,
      response: z.object({}),
    });
  });

  it("gives every entry an access rule, a unique method and path, and types the answers", () => {
    const seen = new Set<string>();
    for (const [name, endpoint] of Object.entries(contract)) {
      expect(endpoint.access, name).toBeDefined();
      const key = `${endpoint.method} ${endpoint.path}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
    expectTypeOf<TResponse<"getProject">["permissions"]["edit"]>().toEqualTypeOf<boolean>();
    expectTypeOf<TResponse<"getNotebook">["permissions"]["run"]>().toEqualTypeOf<boolean>();
  });

  it("makes the router refuse a route with no access rule", () => {
    const route = {
      method: "GET",
      path: "/api/v1/forgot",
      summary: "a route someone forgot to protect",
      tag: "test",
      response: z.object({}),
      handler: async () => ({}),
    } as unknown as TAnyRoute;
    expect(() =>
      createRouter({
        routes: [route],
        maxBodyBytes: 1000,
        authenticate: async () => null,
        trustedOrigins: [],
        prisma: {} as never,
      }),
    ).toThrow(/GET \/api\/v1\/forgot declares no access rule/);
  });
});
