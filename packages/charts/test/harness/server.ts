/**
 * A tiny static server for the browser harness: the page (with Flint's CSP), the renderer bundled
 * by esbuild, the vega-datasets files through the package's own handler, the spec corpus, and
 * endpoints for allow-list tests (one like Flint's `/api/v1/me`, answering only with a cookie). Listens on 127.0.0.1 on a free port.
 */

import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { handleVegaDatasetRequest } from "../../src/server";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the Vega-Lite example specs are: `../shared/corpus` beside the repository, or `FLINT_VEGA_CORPUS`. */
export const CORPUS_DIR =
  process.env.FLINT_VEGA_CORPUS ?? resolve(here, "../../../../../shared/corpus/vega-lite/specs");

/** Flint's page CSP (apps/web/src/server/security.ts) without the per-response nonce. */
export const HARNESS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Flint charts harness</title></head>
<body style="font-family: sans-serif; margin: 16px"><div id="charts"></div>
<script type="module" src="/assets/entry.js"></script></body></html>`;

/** A running harness server. */
export interface THarnessServer {
  url: string;
  /** Paths requested so far (to prove that refused URLs were never fetched). */
  requests: string[];
  /** The `Cookie` header of each request, by path (to prove that charts load without cookies). */
  cookies: { path: string; cookie: string | null }[];
  close(): Promise<void>;
}

async function bundle(): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: [join(here, "entry.tsx")],
    bundle: true,
    format: "esm",
    splitting: true,
    outdir: "/assets",
    write: false,
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  return new Map(result.outputFiles.map((file) => [file.path, file.contents]));
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { "content-type": type, "x-content-type-options": "nosniff" });
  res.end(body);
}

/** Builds the page script and starts the server. */
export async function startHarness(): Promise<THarnessServer> {
  const assets = await bundle();
  const requests: string[] = [];
  const cookies: THarnessServer["cookies"] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(url.pathname + url.search);
    cookies.push({ path: url.pathname, cookie: req.headers.cookie ?? null });
    if (url.pathname === "/") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": HARNESS_CSP,
      });
      res.end(PAGE);
      return;
    }
    const asset = assets.get(url.pathname);
    if (asset) return send(res, 200, "text/javascript; charset=utf-8", asset);
    if (await handleVegaDatasetRequest(req, res)) return;
    const corpus = /^\/corpus\/([\w.-]+\.json)$/.exec(url.pathname);
    if (corpus?.[1]) {
      try {
        return send(res, 200, "application/json", await readFile(join(CORPUS_DIR, corpus[1])));
      } catch {
        return send(res, 404, "text/plain", "no such spec");
      }
    }
    if (url.pathname === "/api/v1/test/rows.json") {
      return send(
        res,
        200,
        "application/json",
        JSON.stringify([
          { a: "x", b: 3 },
          { a: "y", b: 5 },
        ]),
      );
    }
    if (url.pathname === "/api/v1/me") {
      // Like Flint's: who the cookie belongs to.
      if (!req.headers.cookie) return send(res, 401, "application/json", '{"error":"sign in"}');
      return send(res, 200, "application/json", JSON.stringify([{ email: "viewer@example.com" }]));
    }
    if (url.pathname === "/private/secret.json") {
      return send(res, 200, "application/json", JSON.stringify([{ secret: "do not load" }]));
    }
    send(res, 404, "text/plain", "not found");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, "text/plain", String(error)));
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    cookies,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
