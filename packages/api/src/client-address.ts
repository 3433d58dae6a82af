/**
 * Who is on the other end of a request, for rate limits: the socket's peer address, or, when that
 * peer is one of the reverse proxies named in FLINT_TRUSTED_PROXIES, the address that proxy
 * forwarded. `X-Forwarded-For` from anyone else is ignored: any client can set it, so trusting it
 * would give every request a fresh rate-limit bucket (SECURITY.md case 31).
 */
import { BlockList, isIP } from "node:net";

/** The header the API sets (and overwrites) on requests it hands to better-auth. */
export const CLIENT_ADDRESS_HEADER = "x-flint-client-address";

/** Parsed FLINT_TRUSTED_PROXIES: addresses and CIDR ranges whose forwarded headers are believed. */
export interface TTrustedProxies {
  /** The entries as configured, for messages. */
  entries: string[];
  list: BlockList;
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) and `127.0.0.1` are the same client. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return (mapped?.[1] ?? trimmed).toLowerCase();
}

/**
 * Parses a comma-separated list of addresses and CIDR ranges (`10.0.0.1, 172.16.0.0/12, ::1`).
 * @throws Error naming the first entry that is neither.
 */
export function parseTrustedProxies(value: string | undefined): TTrustedProxies {
  const list = new BlockList();
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = "", prefixText, ...rest] = entry.split("/");
    const family = isIP(normalizeAddress(address));
    const prefix = prefixText === undefined ? undefined : Number(prefixText);
    const maxPrefix = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      rest.length > 0 ||
      (prefix !== undefined && (!/^\d+$/.test(prefixText ?? "") || prefix > maxPrefix))
    )
      throw new Error(
        `FLINT_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.5 or 10.0.0.0/8).`,
      );
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(normalizeAddress(address), type);
    else list.addSubnet(normalizeAddress(address), prefix, type);
  }
  return { entries, list };
}

function isTrusted(address: string, proxies: TTrustedProxies): boolean {
  const family = isIP(address);
  if (family === 0 || proxies.entries.length === 0) return false;
  return proxies.list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The client address of a request. Without a trusted proxy in front, the socket's peer. Behind
 * trusted proxies, `X-Forwarded-For` is read from the right (each proxy appends the peer it saw),
 * skipping trusted proxies, and the first address that is not one is the client; a malformed
 * entry stops the walk at the last address a trusted proxy vouched for.
 * @param socketAddress `req.socket.remoteAddress`; undefined when the socket is already gone.
 * @returns the address, or `"unknown"` when there is none (those requests share one bucket).
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | null,
  proxies: TTrustedProxies,
): string {
  if (!socketAddress) return "unknown";
  let client = normalizeAddress(socketAddress);
  if (!isTrusted(client, proxies) || !forwardedFor) return client;
  const hops = forwardedFor
    .split(",")
    .map((hop) => normalizeAddress(hop))
    .filter(Boolean);
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = hops[index] ?? "";
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(hop, proxies)) return client;
  }
  return client;
}
