// `npm run flint -- user add|list|disable|enable|promote|demote`: account administration for
// closed deployments without e-mail. Uses the running server's database, or starts the embedded
// one briefly. Disabling goes through the same function as the Administration page.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  hashToken,
  listUsers,
  loadConfig,
  setUserAdmin,
  setUserDisabled,
  WeakPasswordError,
} from "@flint/api";
import { ensureToken, upsertPasswordUser } from "@flint/api/seed";
import { createPrismaClient } from "@flint/db";
import { findRunningEmbeddedPostgres, startEmbeddedPostgres } from "@flint/db/embedded";
import { applyMigrations } from "@flint/db/migrate";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const USAGE = `usage:
  npm run flint -- user add EMAIL [--password P] [--token T] [--name NAME] [--admin]
  npm run flint -- user list
  npm run flint -- user disable EMAIL
  npm run flint -- user enable EMAIL
  npm run flint -- user promote EMAIL   (make a site administrator)
  npm run flint -- user demote EMAIL`;

const ACTIONS_WITH_EMAIL = new Set(["add", "disable", "enable", "promote", "demote"]);

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<number> {
  const [group, action, ...args] = process.argv.slice(2);
  if (group !== "user" || !action) {
    console.error(USAGE);
    return 2;
  }
  const email = args[0];
  if (ACTIONS_WITH_EMAIL.has(action) && (!email || !/^[^@\s]+@[^@\s]+$/.test(email))) {
    console.error(`user ${action} needs an email address.\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  let stopDb = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const dir = path.join(config.dataDir, "postgres");
    url = findRunningEmbeddedPostgres({ dir }) ?? undefined;
    if (!url) {
      const pg = await startEmbeddedPostgres({ dir });
      url = pg.url;
      stopDb = pg.stop;
    }
  }
  await applyMigrations(url, path.join(root, "prisma/migrations"));
  const prisma = createPrismaClient(url);
  try {
    if (action === "add") {
      if (!email) return 2;
      const password = option(args, "--password") ?? randomBytes(12).toString("base64url");
      let added: { userId: string; isCreated: boolean };
      try {
        added = await upsertPasswordUser(prisma, {
          email,
          name: option(args, "--name") ?? email.split("@")[0]!,
          password,
          ...(args.includes("--admin") ? { isAdmin: true } : {}),
        });
      } catch (error) {
        if (!(error instanceof WeakPasswordError)) throw error;
        console.error(`user add: ${error.message} (Leave out --password to get a random one.)`);
        return 1;
      }
      const { userId, isCreated } = added;
      const token = option(args, "--token");
      if (token) await ensureToken(prisma, userId, token, "flint user add --token");
      console.log(
        `${isCreated ? "created" : "updated"} ${email}${args.includes("--admin") ? " (site administrator)" : ""}${option(args, "--password") ? "" : ` with password ${password}`}${token ? ` and token ${hashToken(token).slice(0, 8)}…` : ""}`,
      );
      return 0;
    }
    if (action === "list") {
      for (const user of await listUsers(prisma)) {
        console.log(
          `${user.email}\t${user.name}\t${user.createdAt}\t${user.disabledAt ? "disabled" : "active"}${user.isAdmin ? "\tadmin" : ""}`,
        );
      }
      return 0;
    }
    if (action === "disable" || action === "enable" || action === "promote" || action === "demote") {
      const user = email ? await prisma.user.findUnique({ where: { email }, select: { id: true } }) : null;
      if (!user) {
        console.error(`no user with email ${email ?? "(missing)"}`);
        return 1;
      }
      if (action === "disable" || action === "enable")
        await setUserDisabled(prisma, user.id, action === "disable");
      else await setUserAdmin(prisma, user.id, action === "promote");
      console.log(`${action}d ${email}`);
      return 0;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await prisma.$disconnect();
    await stopDb();
  }
}

// Exit explicitly: an idle database pool must not decide the exit code or keep the process alive.
process.exit(await main());
