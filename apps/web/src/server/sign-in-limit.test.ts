// Sign-in limits over real sockets, with the limits ON (SECURITY.md case 31): the per-address limit
// counts the TCP peer (Linux routes all of 127/8 to lo, so 127.0.0.2 is a second client), a forged
// X-Forwarded-For only counts through a trusted proxy, and the per-account limit holds however
// many addresses the guesses come from, without locking the owner out of a known address.

import { mkdtempSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { createApi, loadConfig } from "@flint/api";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveApiRequest } from "./http-bridge.js";

const PASSWORD = "correct horse battery";
const servers: Server[] = [];
let closeDb: () => Promise<void>;
let createDatabase: Awaited<ReturnType<typeof createTestDatabase>>;

/** Starts the API behind a real HTTP server on 127.0.0.1, as start.ts serves it. */
async function startApi(env: Record<string, string>): Promise<{ port: number; origin: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const config = loadConfig({
    FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-limit-test-")),
    PORT: String(port),
    FLINT_AUTH_RATE_LIMIT: "on",
    ...env,
  });
  const api = createApi({ config, prisma: createDatabase.prisma, isEmbeddedDb: true });
  server.on("request", (req, res) => void serveApiRequest(api.handle, req, res, config.publicUrl));
  servers.push(server);
  return { port, origin: `http://127.0.0.1:${port}` };
}

/** POSTs JSON from a chosen local address (the server sees it as the socket's peer). */
function post(
  target: { port: number; origin: string },
  pathname: string,
  body: unknown,
  options: { from: string; headers?: Record<string, string> },
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: pathname,
        method: "POST",
        localAddress: options.from,
        headers: { "content-type": "application/json", origin: target.origin, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

let counter = 0;
async function createAccount(target: { port: number; origin: string }, from: string): Promise<string> {
  counter += 1;
  const email = `limit-${counter}-${Date.now()}@example.test`;
  const answer = await post(
    target,
    "/api/auth/sign-up/email",
    { name: "L", email, password: PASSWORD },
    { from },
  );
  if (answer.status !== 200)
    throw new Error(`sign-up failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return email;
}

const signIn = (
  target: { port: number; origin: string },
  email: string,
  password: string,
  from: string,
  forwardedFor?: string,
) =>
  post(
    target,
    "/api/auth/sign-in/email",
    { email, password },
    {
      from,
      headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
    },
  );

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

beforeAll(async () => {
  createDatabase = await createTestDatabase();
  closeDb = createDatabase.close;
}, 60_000);

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await closeDb?.();
});

describe("sign-in limits on a server without a proxy in front", () => {
  it("counts the socket's address: 100 guesses with 100 forged X-Forwarded-For are limited, and another address still signs in", async () => {
    const direct = await startApi({});
    const victim = await createAccount(direct, "127.0.0.9");
    const bystander = await createAccount(direct, "127.0.0.9");
    // The owner has signed in from 127.0.0.2 before: that address is known to the account.
    expect((await signIn(direct, victim, PASSWORD, "127.0.0.2")).status).toBe(200);

    const statuses: number[] = [];
    for (let index = 0; index < 100; index += 1)
      statuses.push(
        (await signIn(direct, victim, `guess-${index}`, "127.0.0.1", `203.0.113.${index}`)).status,
      );
    const counts = tally(statuses);
    // 20 a minute per address at most reach the password check (the account lock stops even fewer).
    expect(counts[401] ?? 0).toBeLessThanOrEqual(20);
    expect(counts[429] ?? 0).toBeGreaterThanOrEqual(80);
    // The flooding address is stopped even with the right password, for any account, whatever
    // it forwards: its bucket is its socket's.
    expect((await signIn(direct, victim, PASSWORD, "127.0.0.1", "198.51.100.7")).status).toBe(429);
    expect((await signIn(direct, bystander, PASSWORD, "127.0.0.1")).status).toBe(429);
    expect((await signIn(direct, bystander, PASSWORD, "127.0.0.1", "198.51.100.8")).status).toBe(429);

    // Another address is another bucket: a bystander signs in from 127.0.0.2 ...
    expect((await signIn(direct, bystander, PASSWORD, "127.0.0.2")).status).toBe(200);
    // ... and the owner, from the address they used before (known to the account).
    expect((await signIn(direct, victim, PASSWORD, "127.0.0.2")).status).toBe(200);
  }, 120_000);

  it("tells a sign-in form (JSON) when to retry a locked account", async () => {
    const direct = await startApi({});
    const victim = await createAccount(direct, "127.0.0.10");
    for (let index = 0; index < 6; index += 1) await signIn(direct, victim, `guess-${index}`, "127.0.0.11");
    const form = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: direct.port,
          path: "/api/forms/sign-in",
          method: "POST",
          localAddress: "127.0.0.12",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
            origin: direct.origin,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      req.on("error", reject);
      req.end(new URLSearchParams({ email: victim, password: PASSWORD }).toString());
    });
    expect(form.status).toBe(429);
    expect(form.body.error).toMatchObject({ reason: "locked" });
    expect(String((form.body.error as { message: string }).message)).toMatch(/try again in/);
  }, 60_000);
});

describe("sign-in limits behind a trusted proxy (FLINT_TRUSTED_PROXIES)", () => {
  it("believes X-Forwarded-For only from the proxy, and limits one account across many forwarded addresses", async () => {
    const behindProxy = await startApi({ FLINT_TRUSTED_PROXIES: "127.0.0.20, 10.0.0.0/8" });
    const victim = await createAccount(behindProxy, "127.0.0.21");

    // Through the proxy, each forwarded address is its own client: only the account limit holds.
    const statuses: number[] = [];
    for (let index = 0; index < 100; index += 1)
      statuses.push(
        (await signIn(behindProxy, victim, `guess-${index}`, "127.0.0.20", `198.51.100.${index}, 10.1.2.3`))
          .status,
      );
    const counts = tally(statuses);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(10);
    expect(counts[429] ?? 0).toBeGreaterThanOrEqual(90);
    // Even the right password from a new address waits out the account's lock, told for how long.
    const locked = await signIn(behindProxy, victim, PASSWORD, "127.0.0.20", "198.51.100.250");
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: "SIGN_IN_LOCKED" });
    expect(String(locked.body.message)).toMatch(/try again in \d+ (s|min)/);

    // A client that is not the proxy forging the header is counted by its socket: 20 a minute,
    // whatever it claims (each guess at another e-mail, so only the address limit applies).
    const forged: number[] = [];
    for (let index = 0; index < 25; index += 1)
      forged.push(
        (await signIn(behindProxy, `nobody-${index}@example.test`, "x", "127.0.0.22", `192.0.2.${index}`))
          .status,
      );
    expect(tally(forged)).toEqual({ 401: 20, 429: 5 });
  }, 120_000);
});
