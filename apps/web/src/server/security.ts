// Security headers and the page guard of the custom server (SECURITY.md cases 10-13, 18, 19).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Pages anyone may open; every other page needs a signed-in user. */
const PUBLIC_PAGE_PREFIXES = [
  "/login",
  "/signup",
  "/community",
  "/embed",
  "/_next/",
  "/favicon",
  "/robots.txt",
];

export function isPublicPage(pathname: string): boolean {
  return PUBLIC_PAGE_PREFIXES.some(
    (prefix) =>
      pathname === prefix ||
      pathname.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`) ||
      pathname.startsWith(`${prefix}?`),
  );
}

/**
 * The Content-Security-Policy of pages: scripts only from Flint with this response's nonce (no
 * `unsafe-eval`: Vega runs in its interpreter mode), no plugins, no framing by other sites.
 */
export function contentSecurityPolicy(nonce: string, isDev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join("; ");
}

/** Sets the headers every response gets and returns the CSP nonce for pages. */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse, isDev: boolean): string {
  const nonce = randomBytes(16).toString("base64");
  const csp = contentSecurityPolicy(nonce, isDev);
  // Next.js reads the nonce from the request's CSP header and puts it on its own script tags.
  req.headers["content-security-policy"] = csp;
  res.setHeader("content-security-policy", csp);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "same-origin");
  res.setHeader("x-frame-options", "SAMEORIGIN");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  return nonce;
}
