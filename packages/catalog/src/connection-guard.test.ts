import { describe, expect, it } from "vitest";
import {
  checkConnectionHost,
  isBlockedAddress,
  parseConnectionAllowList,
  type TLookup,
} from "./connection-guard.js";

/** A resolver with fixed answers, counting questions (to show the name is asked once). */
function fakeDns(answers: Record<string, string[]>): TLookup & { questions: string[] } {
  const questions: string[] = [];
  const lookup = async (host: string) => {
    questions.push(host);
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(lookup, { questions });
}

describe("blocked addresses (SECURITY.md case 32)", () => {
  it.each([
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "fd00:ec2::254",
    "fe80::1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
  ])("refuses %s", (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700:4700::1111"])("allows %s", (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});

describe("checkConnectionHost", () => {
  const dns = fakeDns({
    "db.example.com": ["93.184.215.14"],
    "metadata.google.internal": ["169.254.169.254"],
    // One public and one private answer: refused, whichever a later lookup would pick.
    "mixed.example.com": ["93.184.215.14", "10.0.0.7"],
    localhost: ["127.0.0.1", "::1"],
    "db.internal": ["10.20.0.5"],
  });

  it("resolves once and answers the checked address to connect to", async () => {
    dns.questions.length = 0;
    expect(await checkConnectionHost("db.example.com", undefined, dns)).toEqual({
      ok: true,
      address: "93.184.215.14",
    });
    expect(dns.questions).toEqual(["db.example.com"]);
    expect(await checkConnectionHost("93.184.215.14", undefined, dns)).toEqual({
      ok: true,
      address: "93.184.215.14",
    });
  });

  it("refuses loopback, private, link-local and metadata hosts by default, with one reason", async () => {
    const reasons = new Set<string>();
    for (const host of [
      "127.0.0.1",
      "localhost",
      "LOCALHOST.",
      "169.254.169.254",
      "metadata.google.internal",
      "mixed.example.com",
      "10.0.0.1",
      "[::1]",
      "::ffff:127.0.0.1",
      "no-such-host.example",
      "/var/run/postgresql",
    ]) {
      const target = await checkConnectionHost(host, undefined, dns);
      expect(target.ok, host).toBe(false);
      if (!target.ok) reasons.add(target.reason);
    }
    // A name that does not resolve and one that resolves inside the network read the same.
    expect([...reasons]).toEqual([
      "the host does not resolve to an address Flint may connect to (loopback, private, link-local and metadata addresses are refused unless a Flint administrator allows them with FLINT_CONNECTION_ALLOW)",
    ]);
  });

  it("opens what FLINT_CONNECTION_ALLOW lists: host names as typed, addresses and ranges", async () => {
    const policy = parseConnectionAllowList(" localhost, 10.20.0.0/16 ,fd00::/8");
    expect(policy.allow).toEqual([
      { kind: "host", host: "localhost" },
      { kind: "range", address: "10.20.0.0", prefix: 16, family: "ipv4" },
      { kind: "range", address: "fd00::", prefix: 8, family: "ipv6" },
    ]);
    expect(await checkConnectionHost("localhost", policy, dns)).toEqual({ ok: true, address: "127.0.0.1" });
    expect(await checkConnectionHost("db.internal", policy, dns)).toEqual({ ok: true, address: "10.20.0.5" });
    expect((await checkConnectionHost("10.21.0.1", policy, dns)).ok).toBe(false);
    // The name is allowed, not every address it could stand for.
    expect((await checkConnectionHost("127.0.0.1", policy, dns)).ok).toBe(false);
    expect((await checkConnectionHost("169.254.169.254", policy, dns)).ok).toBe(false);
    expect((await checkConnectionHost("127.0.0.1", parseConnectionAllowList("127.0.0.1"), dns)).ok).toBe(
      true,
    );
  });

  it("refuses allow-list entries it cannot read", () => {
    expect(() => parseConnectionAllowList("10.0.0.0/33")).toThrow("bad prefix length");
    expect(() => parseConnectionAllowList("http://db")).toThrow("is not a host name");
    expect(() => parseConnectionAllowList("db_1")).toThrow("is not a host name");
    expect(parseConnectionAllowList("").allow).toEqual([]);
  });
});
