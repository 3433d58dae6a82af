// The admin command line against a real database: add, list, disable, promote.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApi, loadConfig } from "@flint/api";
import { createPrismaClient } from "@flint/db";
import { createEmptyDatabase } from "@flint/db/testing";
import { describe, expect, it } from "vitest";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function flint(databaseUrl: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(webDir, "cli.ts"), ...args], {
    cwd: webDir,
    encoding: "utf8",
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-cli-")),
    },
  });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe("flint user", () => {
  it("adds a user with a password and a token, lists and disables them", async () => {
    const url = await createEmptyDatabase();
    const added = flint(
      url,
      "user",
      "add",
      "ops@example.test",
      "--password",
      "a long password",
      "--token",
      "flint_pat_cli_test_token_1234567890",
    );
    expect(added.status, added.err).toBe(0);
    expect(added.out).toContain("created ops@example.test");
    expect(added.out).not.toContain("a long password");

    const prisma = createPrismaClient(url);
    const api = createApi({
      config: loadConfig({
        FLINT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "flint-cli-api-")),
        PORT: "3998",
      }),
      prisma,
      isEmbeddedDb: false,
    });
    const me = () =>
      api.handle(
        new Request("http://127.0.0.1:3998/api/v1/me", {
          headers: { authorization: "Bearer flint_pat_cli_test_token_1234567890" },
        }),
      );
    expect((await me()).status).toBe(200);
    const signIn = await api.handle(
      new Request("http://127.0.0.1:3998/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://127.0.0.1:3998" },
        body: JSON.stringify({ email: "ops@example.test", password: "a long password" }),
      }),
    );
    expect(signIn.status).toBe(200);

    const listed = flint(url, "user", "list");
    expect(listed.out).toMatch(/ops@example\.test\t.*\tactive/);

    expect(flint(url, "user", "disable", "ops@example.test").status).toBe(0);
    expect(flint(url, "user", "list").out).toMatch(/ops@example\.test\t.*\tdisabled/);
    expect((await me()).status).toBe(401);
    const refused = await api.handle(
      new Request("http://127.0.0.1:3998/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://127.0.0.1:3998" },
        body: JSON.stringify({ email: "ops@example.test", password: "a long password" }),
      }),
    );
    expect(refused.status).not.toBe(200);
    await prisma.$disconnect();

    const bad = flint(url, "user", "add", "not-an-email");
    expect(bad.status).toBe(2);
    expect(bad.err).toContain("needs an email address");
  });

  it("refuses a short or leaked password with the reason, and adds nobody", async () => {
    const url = await createEmptyDatabase();
    const leaked = flint(url, "user", "add", "weak@example.test", "--password", "Password123");
    expect(leaked.status).toBe(1);
    expect(leaked.err).toContain("leaked in data breaches");
    expect(leaked.err).toContain("Leave out --password");
    const short = flint(url, "user", "add", "weak@example.test", "--password", "too short");
    expect(short.status).toBe(1);
    expect(short.err).toContain("at least 10 characters");
    expect(flint(url, "user", "list").out).not.toContain("weak@example.test");
    // Without --password a random one is made, which passes.
    expect(flint(url, "user", "add", "weak@example.test").status).toBe(0);
  });

  it("makes site administrators with add --admin and promote, and takes it back with demote", async () => {
    const url = await createEmptyDatabase();
    expect(flint(url, "user", "add", "boss@example.test", "--admin").status).toBe(0);
    expect(flint(url, "user", "add", "staff@example.test").status).toBe(0);
    const isAdmin = async (email: string) => {
      const prisma = createPrismaClient(url);
      try {
        return (await prisma.user.findUniqueOrThrow({ where: { email }, select: { isAdmin: true } })).isAdmin;
      } finally {
        await prisma.$disconnect();
      }
    };
    expect(await isAdmin("boss@example.test")).toBe(true);
    expect(await isAdmin("staff@example.test")).toBe(false);
    expect(flint(url, "user", "list").out).toMatch(/boss@example\.test\t.*\tactive\tadmin/);

    const promoted = flint(url, "user", "promote", "staff@example.test");
    expect(promoted.status, promoted.err).toBe(0);
    expect(promoted.out).toContain("promoted staff@example.test");
    expect(await isAdmin("staff@example.test")).toBe(true);
    expect(flint(url, "user", "demote", "boss@example.test").status).toBe(0);
    expect(await isAdmin("boss@example.test")).toBe(false);
    expect(flint(url, "user", "promote", "nobody@example.test").status).toBe(1);
  });

  it("names a mistyped option instead of ignoring it, and adds nobody", async () => {
    const url = await createEmptyDatabase();
    const typo = flint(url, "user", "add", "typo@example.test", "--pasword", "a long password");
    expect(typo.status).toBe(2);
    expect(typo.err).toContain("--pasword");
    expect(typo.err).toContain("usage:");
    const missing = flint(url, "user", "add", "typo@example.test", "--token");
    expect(missing.status).toBe(2);
    expect(missing.err).toContain("--token");
    expect(flint(url, "user", "list").out).not.toContain("typo@example.test");
  });
});
