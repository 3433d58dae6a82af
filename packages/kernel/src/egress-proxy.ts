/**
 * The egress proxy of sandboxed kernels: an HTTP proxy on a Unix socket (bound into each
 * sandbox, where `flint.sandbox.launch` forwards `127.0.0.1:3128` to it) that reaches public
 * addresses only. `%pip install` and `requests.get("https://...")` work; Flint's database, the
 * Jupyter Server, other kernels, the cloud metadata address and private networks do not, by
 * name or by number. The address is checked after DNS and the connection goes to that checked
 * address, so a name that resolves to a public address once and a private one later cannot slip
 * through.
 */

import { lookup } from "node:dns/promises";
import { existsSync, rmSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { BlockList, connect, isIP, type Socket } from "node:net";

/** Ports a kernel may reach through the proxy: the web's (package indexes, APIs, datasets). */
const ALLOWED_PORTS = new Set([80, 443]);

const BLOCKED = new BlockList();
for (const [address, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  BLOCKED.addSubnet(address, prefix, "ipv4");
}
for (const [address, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  BLOCKED.addSubnet(address, prefix, "ipv6");
}

/** True when `address` is a public unicast address a kernel may reach. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return !BLOCKED.check(mapped, "ipv4");
  return !BLOCKED.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Resolves `host` to one public address, or throws a message the kernel's user can act on. */
async function resolvePublic(host: string, port: number): Promise<string> {
  if (!ALLOWED_PORTS.has(port)) throw new Error(`port ${port} is not open to notebooks (only 80 and 443)`);
  const bare = host.replace(/^\[|\]$/g, "");
  const addresses = isIP(bare) ? [{ address: bare }] : await lookup(bare, { all: true });
  // Every address must be public: a name with one private address is refused as a whole.
  if (addresses.length === 0 || !addresses.every((entry) => isPublicAddress(entry.address))) {
    throw new Error(`${host} is not a public address; notebooks reach only public hosts`);
  }
  return addresses[0]!.address;
}

function refuse(socket: Socket, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}\n`);
}

function splitHostPort(target: string, defaultPort: number): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(target);
  if (!match) return null;
  return { host: match[1]!, port: match[2] ? Number(match[2]) : defaultPort };
}

/** A running egress proxy; `close()` stops it and removes its socket. */
export type TEgressProxy = { close(): Promise<void> };

/**
 * Starts the proxy on the Unix socket `socketPath` (made connectable by the project users).
 * `log` gets one line per refused destination.
 */
export async function startEgressProxy(
  socketPath: string,
  log: (message: string) => void,
): Promise<TEgressProxy> {
  const server: Server = createServer((req, res) => {
    // A plain-HTTP proxy request names an absolute URL.
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res
        .writeHead(400, { "content-type": "text/plain" })
        .end("Flint's proxy needs an absolute http:// URL.\n");
      return;
    }
    if (url.protocol !== "http:") {
      res
        .writeHead(400, { "content-type": "text/plain" })
        .end("Use CONNECT for https through Flint's proxy.\n");
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    resolvePublic(url.hostname, port).then(
      (address) => {
        const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: url.host };
        delete headers["proxy-connection"];
        delete headers["proxy-authorization"];
        const upstream = httpRequest(
          { host: address, port, method: req.method, path: url.pathname + url.search, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on("error", (error) => {
          if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
          res.end(`Flint's proxy could not reach ${url.host}: ${error.message}\n`);
        });
        req.pipe(upstream);
      },
      (error: Error) => {
        log(`egress refused: ${url.host} (${error.message})`);
        res
          .writeHead(403, { "content-type": "text/plain" })
          .end(`Refused by Flint's proxy: ${error.message}.\n`);
      },
    );
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = splitHostPort(req.url ?? "", 443);
    client.on("error", () => undefined);
    if (!target) {
      refuse(client, "400 Bad Request", "CONNECT needs host:port.");
      return;
    }
    resolvePublic(target.host, target.port).then(
      (address) => {
        const upstream = connect(target.port, address, () => {
          client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          if (head.length > 0) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on("error", (error) => {
          if (client.writable)
            refuse(client, "502 Bad Gateway", `Could not reach ${req.url}: ${error.message}`);
        });
        client.on("close", () => upstream.destroy());
      },
      (error: Error) => {
        log(`egress refused: ${req.url} (${error.message})`);
        refuse(client, "403 Forbidden", `Refused by Flint's proxy: ${error.message}.`);
      },
    );
  });
  if (existsSync(socketPath)) rmSync(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // Project users (other uids than Flint's) connect to it from inside their sandboxes.
  await chmod(socketPath, 0o666);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
