/**
 * Seeds a fresh database: the demo user `demo@flint.local` (a site administrator), its optional
 * fixed token, and the "Getting started" project. Idempotent: later starts change nothing about
 * an existing demo user but add FLINT_DEMO_TOKEN.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Catalog, seedCatalogSample } from "@flint/catalog";
import type { PrismaClient } from "@flint/db";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { buildCustomerSegmentsNotebook, buildGettingStartedNotebook } from "./getting-started.js";
import { checkNewPassword, WeakPasswordError } from "./password-policy.js";
import { createNotebook } from "./services/notebooks.js";
import { createProject } from "./services/projects.js";
import { createToken, hashToken } from "./tokens.js";

export const DEMO_EMAIL = "demo@flint.local";

/** What the seed did, for the start banner. */
export interface TSeedResult {
  demoEmail: string;
  /** `created` this start, `kept` (it existed: nothing about it was changed), or `none`. */
  demo: "created" | "kept" | "none";
  /**
   * The demo password to print: one Flint generated (first start), while the demo user still has
   * it; null when it came from FLINT_DEMO_PASSWORD, was changed, or there is no demo user.
   */
  generatedPassword: string | null;
  passwordFile: string | null;
  isFirstSeed: boolean;
}

/**
 * Creates or updates a user with an email/password credential, the way better-auth stores it.
 * A password it would store passes {@link checkNewPassword} first, as on the sign-up page: a
 * weak one throws `WeakPasswordError` and nothing is written.
 * `isAdmin: true` makes them a site administrator (also when they exist); left out, it is unchanged
 * (new users are not administrators).
 */
export async function upsertPasswordUser(
  prisma: PrismaClient,
  input: { email: string; name: string; password: string; isAdmin?: boolean },
): Promise<{ userId: string; isCreated: boolean }> {
  const existing = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) {
    if (input.isAdmin !== undefined)
      await prisma.user.update({ where: { id: existing.id }, data: { isAdmin: input.isAdmin } });
    const account = await prisma.account.findFirst({
      where: { userId: existing.id, providerId: "credential" },
      select: { id: true, password: true },
    });
    const isSame = account?.password
      ? await verifyPassword({ hash: account.password, password: input.password })
      : false;
    if (!isSame) {
      await checkNewPassword(input.password);
      const hash = await hashPassword(input.password);
      if (account) await prisma.account.update({ where: { id: account.id }, data: { password: hash } });
      else
        await prisma.account.create({
          data: {
            id: randomUUID(),
            accountId: existing.id,
            providerId: "credential",
            userId: existing.id,
            password: hash,
          },
        });
    }
    return { userId: existing.id, isCreated: false };
  }
  await checkNewPassword(input.password);
  const userId = randomUUID();
  const hash = await hashPassword(input.password);
  await prisma.$transaction([
    prisma.user.create({
      data: {
        id: userId,
        email: input.email,
        name: input.name,
        emailVerified: true,
        isAdmin: input.isAdmin ?? false,
      },
    }),
    prisma.account.create({
      data: { id: randomUUID(), accountId: userId, providerId: "credential", userId, password: hash },
    }),
  ]);
  return { userId, isCreated: true };
}

/** Gives `userId` a token with a fixed secret (FLINT_DEMO_TOKEN / `flint user add --token`). */
export async function ensureToken(
  prisma: PrismaClient,
  userId: string,
  secret: string,
  name: string,
): Promise<void> {
  const existing = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(secret) },
    select: { userId: true, revokedAt: true },
  });
  if (existing && existing.userId !== userId)
    throw new Error(`The token given for ${name} already belongs to another user.`);
  if (existing?.revokedAt)
    await prisma.apiToken.update({ where: { tokenHash: hashToken(secret) }, data: { revokedAt: null } });
  if (!existing) await createToken(prisma, userId, name, { secret });
}

/** Options of {@link seed}. */
export interface TSeedOptions {
  dataDir: string;
  /** FLINT_DEMO_PASSWORD: the demo user's password when it is created (never applied later). */
  demoPassword?: string;
  /** FLINT_DEMO_TOKEN: a token the demo user is given (admin scope). */
  demoToken?: string;
  /** FLINT_DEMO=off (the docker image): no demo user, whatever else is set. Default true. */
  isDemoAllowed?: boolean;
}

/**
 * Runs the seed. The demo user is created only when FLINT_DEMO_PASSWORD or FLINT_DEMO_TOKEN is
 * set, or on the first start of an empty database (a fresh `npm start`), and never with FLINT_DEMO
 * off. Once it exists its password is never set again: a password its owner changed survives
 * restarts (`flint user add demo@flint.local --password P` resets it on purpose).
 */
export async function seed(prisma: PrismaClient, options: TSeedOptions): Promise<TSeedResult> {
  const passwordFile = path.join(options.dataDir, "secrets", "demo-password");
  const none: TSeedResult = {
    demoEmail: DEMO_EMAIL,
    demo: "none",
    generatedPassword: null,
    passwordFile: null,
    isFirstSeed: false,
  };
  if (options.isDemoAllowed === false) return none;
  const existing = await prisma.user.findUnique({ where: { email: DEMO_EMAIL }, select: { id: true } });
  if (existing) {
    if (options.demoToken) await ensureToken(prisma, existing.id, options.demoToken, "FLINT_DEMO_TOKEN");
    // The banner repeats a generated password only while it still opens the account.
    const generated = options.demoPassword
      ? null
      : await readStillValidPassword(prisma, existing.id, passwordFile);
    return {
      ...none,
      demo: "kept",
      generatedPassword: generated,
      passwordFile: generated ? passwordFile : null,
    };
  }
  const isFresh = (await prisma.user.count()) === 0;
  if (!options.demoPassword && !options.demoToken && !isFresh) return none;
  let password = options.demoPassword;
  let generatedPassword: string | null = null;
  if (!password) {
    mkdirSync(path.dirname(passwordFile), { recursive: true, mode: 0o700 });
    password = randomBytes(12).toString("base64url");
    writeFileSync(passwordFile, password, { mode: 0o600 });
    generatedPassword = password;
  }
  const { userId, isCreated } = await upsertPasswordUser(prisma, {
    email: DEMO_EMAIL,
    name: "Demo User",
    password,
  }).catch((error: unknown) => {
    // Name the setting to change: the message alone would not say where the password came from.
    if (error instanceof WeakPasswordError)
      throw new WeakPasswordError(error.reason, `FLINT_DEMO_PASSWORD is refused. ${error.message}`);
    throw error;
  });
  // The demo user administers a fresh Flint (users, invitations); a later demotion sticks.
  if (isCreated) await prisma.user.update({ where: { id: userId }, data: { isAdmin: true } });
  if (options.demoToken) await ensureToken(prisma, userId, options.demoToken, "FLINT_DEMO_TOKEN");
  const hasTour = await prisma.project.findFirst({
    where: { createdById: userId, name: "Getting started" },
    select: { id: true },
  });
  if (!hasTour && isCreated) {
    const project = await createProject(prisma, userId, {
      name: "Getting started",
      description:
        "A short tour of Flint: notebooks on Spark, tables, SQL, charts and the catalog; a model from training to a deployed endpoint.",
    });
    await createNotebook(prisma, {
      projectId: project.id,
      userId,
      name: "Welcome to Flint",
      notebook: buildGettingStartedNotebook(),
    });
    await createNotebook(prisma, {
      projectId: project.id,
      userId,
      name: "Customer segments",
      notebook: buildCustomerSegmentsNotebook(),
    });
  }
  return {
    demoEmail: DEMO_EMAIL,
    demo: "created",
    generatedPassword,
    passwordFile: generatedPassword ? passwordFile : null,
    isFirstSeed: isCreated,
  };
}

/** The generated password in `file` if it still signs the user in, else null. */
async function readStillValidPassword(
  prisma: PrismaClient,
  userId: string,
  file: string,
): Promise<string | null> {
  if (!existsSync(file)) return null;
  const password = readFileSync(file, "utf8").trim();
  const account = await prisma.account.findFirst({
    where: { userId, providerId: "credential" },
    select: { password: true },
  });
  if (!account?.password || !password) return null;
  return (await verifyPassword({ hash: account.password, password })) ? password : null;
}

/**
 * Registers the catalog sample (`sales_2026`) in the demo user's "Getting started" project and
 * queues its profile, once; the tour notebook loads it. Separate from {@link seed} because it
 * needs the catalog service, which the API creates.
 * @returns the new asset's id, or null when there is no tour project or it has the sample.
 */
export async function seedCatalogTour(
  prisma: PrismaClient,
  options: { catalog: Catalog },
): Promise<string | null> {
  const demo = await prisma.user.findUnique({ where: { email: DEMO_EMAIL }, select: { id: true } });
  if (!demo) return null;
  const project = await prisma.project.findFirst({
    where: { createdById: demo.id, name: "Getting started" },
    select: { id: true },
  });
  if (!project) return null;
  return await seedCatalogSample(prisma, {
    storageRoot: options.catalog.storageRoot,
    projectId: project.id,
    ownerId: demo.id,
    catalog: options.catalog,
  });
}
