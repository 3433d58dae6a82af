/**
 * Test helper: a real API (real better-auth, real PostgreSQL) on a fresh database, plus helpers
 * to sign users up and call routes the way a browser or a token client would.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { loadConfig, type TConfig } from "../config.js";
import { createApi, type TApi } from "../index.js";
import { createToken } from "../tokens.js";

export const ORIGIN = "http://127.0.0.1:3999";

export interface TTestUser {
  id: string;
  email: string;
  cookie: string;
  token: string;
}

export interface TTestApi {
  api: TApi;
  prisma: PrismaClient;
  /** The configuration the API runs with (its data directory is a fresh temp dir). */
  config: TConfig;
  close: () => Promise<void>;
  /** Signs a new user up through better-auth and gives them a personal access token. */
  signUp: (name: string) => Promise<TTestUser>;
  /** Calls the API; `as` picks the credential: a user's cookie (with Flint's Origin) or token. */
  call: (
    method: string,
    url: string,
    options?: {
      as?: TTestUser;
      via?: "cookie" | "token";
      json?: unknown;
      body?: BodyInit;
      headers?: Record<string, string>;
    },
  ) => Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }>;
}

/** Creates the API on a fresh database; `env` adds configuration (e.g. `FLINT_SIGNUP`). */
export async function createTestApi(options: { env?: Record<string, string> } = {}): Promise<TTestApi> {
  const db = await createTestDatabase();
  const config = loadConfig({
    FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-api-test-")),
    PORT: "3999",
    FLINT_AUTH_RATE_LIMIT: "off",
    ...options.env,
  });
  const api = createApi({ config, prisma: db.prisma, isEmbeddedDb: true });
  let counter = 0;
  const call: TTestApi["call"] = async (method, url, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.as) {
      if (options.via === "token") headers.authorization = `Bearer ${options.as.token}`;
      else {
        headers.cookie = options.as.cookie;
        headers.origin ??= ORIGIN;
      }
    }
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(options.json);
    }
    const response = await api.handle(new Request(new URL(url, ORIGIN), { method, headers, body }));
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  const signUp = async (name: string): Promise<TTestUser> => {
    counter += 1;
    const email = `${name.toLowerCase()}-${counter}-${Date.now()}@example.test`;
    const response = await api.handle(
      new Request(`${ORIGIN}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN },
        body: JSON.stringify({ name, email, password: "correct horse battery" }),
      }),
    );
    if (response.status !== 200)
      throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    const cookie = response.headers
      .getSetCookie()
      .map((value) => value.split(";")[0])
      .join("; ");
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
    const { secret } = await createToken(db.prisma, user.id, "test");
    return { id: user.id, email, cookie, token: secret };
  };
  const close = async () => {
    await api.stop();
    await db.close();
  };
  return { api, prisma: db.prisma, config, close, signUp, call };
}
