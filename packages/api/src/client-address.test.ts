// Which address a request counts as: the socket's, unless a trusted proxy forwarded it.
import { describe, expect, it } from "vitest";
import { parseTrustedProxies, resolveClientAddress } from "./client-address.js";

describe("the client address", () => {
  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    const none = parseTrustedProxies(undefined);
    expect(resolveClientAddress("127.0.0.1", "203.0.113.7", none)).toBe("127.0.0.1");
    expect(resolveClientAddress("::ffff:192.0.2.4", "203.0.113.7", none)).toBe("192.0.2.4");
    expect(resolveClientAddress(undefined, "203.0.113.7", none)).toBe("unknown");
  });

  it("walks the chain from the right behind trusted proxies", () => {
    const proxies = parseTrustedProxies("10.0.0.0/8, 192.0.2.1, ::1");
    expect(resolveClientAddress("192.0.2.1", "203.0.113.7", proxies)).toBe("203.0.113.7");
    // The leftmost entry is the client's own claim: only what trusted hops appended counts.
    expect(resolveClientAddress("192.0.2.1", "1.1.1.1, 203.0.113.7, 10.2.3.4", proxies)).toBe("203.0.113.7");
    expect(resolveClientAddress("::1", "198.51.100.2", proxies)).toBe("198.51.100.2");
    // A garbled hop stops the walk at the last address a trusted proxy vouched for.
    expect(resolveClientAddress("192.0.2.1", "not-an-ip, 10.9.9.9", proxies)).toBe("10.9.9.9");
    expect(resolveClientAddress("192.0.2.1", null, proxies)).toBe("192.0.2.1");
  });

  it("refuses a malformed FLINT_TRUSTED_PROXIES with the entry named", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/"10.0.0.0\/33"/);
    expect(() => parseTrustedProxies("proxy.local")).toThrow(/FLINT_TRUSTED_PROXIES/);
  });
});
