// `npm run flint -- user add|list|disable|enable|promote|demote`: account administration for
// closed deployments without e-mail. Uses the running server's database, or starts the embedded
// one briefly. Disabling goes through the same function as the Administration page.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
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

/** The command line, or a message saying what is wrong with it. */
function parseCommandLine(argv: string[]) {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        password: { type: "string" },
        token: { type: "string" },
        name: { type: "string" },
        admin: { type: "boolean" },
      },
    });
    const [group, action, email] = positionals;
    return { group, action, email, options: values };
  } catch (error) {
    // parseArgs names the option it could not read ("Unknown option '--pasword'", a value missing).
    return { error: (error as Error).message };
  }
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(process.argv.slice(2));
  if ("error" in parsed) {
    console.error(`${parsed.error}\n${USAGE}`);
    return 2;
  }
  const { group, action, email, options } = parsed;
  if (group !== "user" || !action) {
    console.error(USAGE);
    return 2;
  }
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
      const password = options.password ?? randomBytes(12).toString("base64url");
      let added: { userId: string; isCreated: boolean };
      try {
        added = await upsertPasswordUser(prisma, {
          email,
          name: options.name ?? email.split("@")[0]!,
          password,
          ...(options.admin ? { isAdmin: true } : {}),
        });
      } catch (error) {
        if (!(error instanceof WeakPasswordError)) throw error;
        console.error(`user add: ${error.message} (Leave out --password to get a random one.)`);
        return 1;
      }
      const { userId, isCreated } = added;
      const token = options.token;
      if (token) await ensureToken(prisma, userId, token, "flint user add --token");
      console.log(
        `${isCreated ? "created" : "updated"} ${email}${options.admin ? " (site administrator)" : ""}${options.password ? "" : ` with password ${password}`}${token ? ` and token ${hashToken(token).slice(0, 8)}…` : ""}`,
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
