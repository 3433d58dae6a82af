/**
 * The one Prisma client of a Flint process, through the pg driver adapter (no native engine).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/client/index.js";

export type { Prisma } from "../generated/client/index.js";
export { PrismaClient };

const GLOBAL_KEY = Symbol.for("flint.db.prisma");
type TGlobalWithPrisma = typeof globalThis & { [GLOBAL_KEY]?: PrismaClient };

/** Creates a Prisma client for `databaseUrl`. Prefer {@link getPrisma} in app code. */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
}

/**
 * The process-wide client for `process.env.DATABASE_URL`, created on first use. Kept on
 * globalThis so that code bundled twice (Next.js pages and the custom server) shares one pool.
 */
export function getPrisma(): PrismaClient {
  const store = globalThis as TGlobalWithPrisma;
  if (!store[GLOBAL_KEY]) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: the database has not been started yet.");
    store[GLOBAL_KEY] = createPrismaClient(url);
  }
  return store[GLOBAL_KEY];
}

/** Closes the process-wide client if it was created. */
export async function disconnectPrisma(): Promise<void> {
  const store = globalThis as TGlobalWithPrisma;
  await store[GLOBAL_KEY]?.$disconnect();
  delete store[GLOBAL_KEY];
}
