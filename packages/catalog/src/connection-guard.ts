/**
 * Where the web server may open a catalog connection (SECURITY.md case 32, issue 15 item 4).
 *
 * A project member types the host of a PostgreSQL connection and the server connects to it: without
 * a check, that makes the server a port scanner of its own network (loopback services, the
 * embedded database, private addresses, the cloud metadata service at 169.254.169.254). So:
 * - the host name is resolved first and every address it resolves to must be public, unless
 *   `FLINT_CONNECTION_ALLOW` lists the host or a range holding the address;
 * - the connection is then opened to the checked address, never to the name again: a DNS server
 *   that answers a public address to the check and a private one to the connect (DNS rebinding)
 *   gets no second question.
 *
 * Pure apart from the DNS lookup, which callers may replace (tests).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** One entry of `FLINT_CONNECTION_ALLOW`: a host name as typed, or an address range. */
export type TConnectionAllowEntry =
  | { kind: "host"; host: string }
  | { kind: "range"; address: string; prefix: number; family: "ipv4" | "ipv6" };

/** What the server may connect to beyond public addresses. */
export interface TConnectionPolicy {
  allow: readonly TConnectionAllowEntry[];
  /**
   * Where the details of a failed connection go (the server's log): the answer to the browser
   * leaves them out, since what a server says back tells what answers at an address.
   */
  log?: (message: string) => void;
}

/** The default: public addresses only. */
export const DEFAULT_CONNECTION_POLICY: Readonly<TConnectionPolicy> = Object.freeze({ allow: [] });

/** Resolves a host name to its addresses (like `dns.lookup(host, { all: true })`). */
export type TLookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: TLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

// Addresses a connection may not reach by default: "this network", loopback, private, carrier-grade
// NAT (where some clouds put their metadata service, e.g. 100.100.100.200), link-local (the
// metadata service 169.254.169.254), protocol assignments, benchmarking, documentation, multicast
// and reserved ranges; IPv6 loopback, unspecified, unique-local (also AWS's fd00:ec2::254),
// link-local, multicast, and the forms that embed an IPv4 address a router would translate
// (NAT64, 6to4, Teredo), whose IPv4 part could be any of the above.
const BLOCKED_RANGES: readonly [string, number, "ipv4" | "ipv6"][] = [
  ["0.0.0.0", 8, "ipv4"],
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.0.2.0", 24, "ipv4"],
  ["192.88.99.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"],
  ["198.51.100.0", 24, "ipv4"],
  ["203.0.113.0", 24, "ipv4"],
  ["224.0.0.0", 4, "ipv4"],
  ["240.0.0.0", 4, "ipv4"],
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["64:ff9b::", 96, "ipv6"],
  ["64:ff9b:1::", 48, "ipv6"],
  ["100::", 64, "ipv6"],
  ["2001::", 32, "ipv6"],
  ["2001:db8::", 32, "ipv6"],
  ["2002::", 16, "ipv6"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["fec0::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

function blockListOf(ranges: readonly { address: string; prefix: number; family: "ipv4" | "ipv6" }[]) {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

// Node's BlockList also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against IPv4 rules.
const BLOCKED = blockListOf(BLOCKED_RANGES.map(([address, prefix, family]) => ({ address, prefix, family })));

/**
 * Parses `FLINT_CONNECTION_ALLOW`: comma-separated host names, addresses and CIDR ranges
 * (`localhost, 127.0.0.1, 10.1.0.0/16, db.internal, fd00::/8`).
 * @throws Error naming the entry that is neither.
 */
export function parseConnectionAllowList(text: string | undefined): TConnectionPolicy {
  const allow: TConnectionAllowEntry[] = [];
  for (const raw of (text ?? "").split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    const [address = "", prefixText, extra] = entry.split("/");
    const version = isIP(address);
    if (version !== 0 && extra === undefined) {
      const max = version === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) {
        throw new Error(`FLINT_CONNECTION_ALLOW: ${raw.trim()} has a bad prefix length (0-${max}).`);
      }
      allow.push({ kind: "range", address, prefix, family: version === 4 ? "ipv4" : "ipv6" });
    } else if (
      prefixText === undefined &&
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry)
    ) {
      allow.push({ kind: "host", host: entry.replace(/\.$/, "") });
    } else {
      throw new Error(
        `FLINT_CONNECTION_ALLOW: ${raw.trim()} is not a host name, an IP address or a CIDR range (like 10.0.0.0/8).`,
      );
    }
  }
  return { allow };
}

/** Whether `address` (an IP) is one a connection may not reach unless allowed. */
export function isBlockedAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 0) return true;
  return BLOCKED.check(address, version === 4 ? "ipv4" : "ipv6");
}

// One reason for a name that does not resolve and for one that resolves to a refused address, so
// the answer does not tell which internal names exist.
const NOT_ALLOWED =
  "the host does not resolve to an address Flint may connect to (loopback, private, link-local and metadata addresses are refused unless a Flint administrator allows them with FLINT_CONNECTION_ALLOW)";

/** The outcome of {@link checkConnectionHost}: the address to connect to, or why not. */
export type TConnectionTarget = { ok: true; address: string } | { ok: false; reason: string };

/**
 * Resolves `host` and checks every address it resolves to; answers the first, which is the one to
 * connect to. A host listed in the policy, or an address inside one of its ranges, is allowed.
 * Never connects anywhere.
 */
export async function checkConnectionHost(
  host: string,
  policy: TConnectionPolicy = DEFAULT_CONNECTION_POLICY,
  lookup: TLookup = systemLookup,
): Promise<TConnectionTarget> {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  // A path would make the driver use a Unix socket of the server's machine.
  if (name === "" || name.includes("/")) return { ok: false, reason: NOT_ALLOWED };
  const isHostAllowed = policy.allow.some(
    (entry) => entry.kind === "host" && entry.host === name.replace(/\.$/, ""),
  );
  let addresses: string[];
  if (isIP(name) !== 0) addresses = [name];
  else {
    try {
      addresses = (await lookup(name)).map((answer) => answer.address);
    } catch {
      return { ok: false, reason: NOT_ALLOWED };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: NOT_ALLOWED };
  if (!isHostAllowed) {
    const ranges = policy.allow.filter((entry) => entry.kind === "range");
    const allowed = blockListOf(ranges);
    const refused = addresses.find((address) => {
      const version = isIP(address);
      if (version === 0) return true;
      return isBlockedAddress(address) && !allowed.check(address, version === 4 ? "ipv4" : "ipv6");
    });
    if (refused !== undefined) return { ok: false, reason: NOT_ALLOWED };
  }
  return { ok: true, address: addresses[0]! };
}
