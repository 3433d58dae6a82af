// The per-account sign-in limit on a fake clock: free failures, doubling locks up to the cap, a
// success ending it, and a known address not held by someone else's guessing.
import { describe, expect, it } from "vitest";
import { createSignInGuard } from "./sign-in-guard.js";

function makeGuard() {
  let now = 1_000_000;
  const guard = createSignInGuard({ now: () => now });
  return { guard, tick: (ms: number) => (now += ms) };
}

describe("the per-account sign-in limit", () => {
  it("allows five failures, then locks for 1 s, 2 s, 4 s ... up to 15 minutes", () => {
    const { guard, tick } = makeGuard();
    for (let index = 0; index < 4; index += 1) guard.recordFailure("Ann@Example.test", "192.0.2.1");
    expect(guard.check("ann@example.test", "192.0.2.1")).toBeNull();
    guard.recordFailure("ann@example.test", "192.0.2.2");
    expect(guard.check("ann@example.test", "192.0.2.3")?.retryAfterSeconds).toBe(1);
    tick(1_000);
    expect(guard.check("ann@example.test", "192.0.2.3")).toBeNull();
    guard.recordFailure("ann@example.test", "192.0.2.4");
    expect(guard.check("ann@example.test", "192.0.2.5")?.retryAfterSeconds).toBe(2);
    for (let index = 0; index < 30; index += 1)
      guard.recordFailure("ann@example.test", `198.51.100.${index}`);
    expect(guard.check("ann@example.test", "192.0.2.9")?.retryAfterSeconds).toBe(15 * 60);
    // Another account is not affected.
    expect(guard.check("bob@example.test", "192.0.2.9")).toBeNull();
  });

  it("lets a known address through someone else's lock, with its own counter", () => {
    const { guard } = makeGuard();
    guard.recordSuccess("ann@example.test", "192.0.2.1");
    for (let index = 0; index < 20; index += 1) guard.recordFailure("ann@example.test", "203.0.113.9");
    expect(guard.check("ann@example.test", "203.0.113.10")).not.toBeNull();
    expect(guard.check("ann@example.test", "192.0.2.1")).toBeNull();
    // The owner signing in leaves the attacker's lock in force.
    guard.recordSuccess("ann@example.test", "192.0.2.1");
    expect(guard.check("ann@example.test", "203.0.113.9")).not.toBeNull();
    // Guessing from the known address is limited as well.
    for (let index = 0; index < 6; index += 1) guard.recordFailure("ann@example.test", "192.0.2.1");
    expect(guard.check("ann@example.test", "192.0.2.1")).not.toBeNull();
  });

  it("forgets failures after a day and clears on success", () => {
    const { guard, tick } = makeGuard();
    for (let index = 0; index < 4; index += 1) guard.recordFailure("ann@example.test", "192.0.2.1");
    tick(24 * 60 * 60_000 + 1);
    guard.recordFailure("ann@example.test", "192.0.2.1");
    expect(guard.check("ann@example.test", "192.0.2.1")).toBeNull();
    for (let index = 0; index < 3; index += 1) guard.recordFailure("ann@example.test", "192.0.2.1");
    guard.recordSuccess("ann@example.test", "192.0.2.1");
    guard.recordFailure("ann@example.test", "192.0.2.1");
    expect(guard.check("ann@example.test", "192.0.2.2")).toBeNull();
  });
});
