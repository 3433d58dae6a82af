// For the several-servers test: one test Flint in its own process, so the test can kill it as a
// crash does (SIGKILL, no clean stop). Reads DATABASE_URL, FLINT_TEST_DATA_DIR and the cluster
// settings from its environment, prints `FLINT_TEST_READY <baseUrl> <serverId>` when up, stops
// cleanly on SIGTERM. Not used by the product.
import { createPrismaClient } from "@flint/db";
import { startTestFlint } from "./test-server.js";

const databaseUrl = process.env.DATABASE_URL;
const dataDir = process.env.FLINT_TEST_DATA_DIR;
if (!databaseUrl || !dataDir) throw new Error("DATABASE_URL and FLINT_TEST_DATA_DIR are required");
const prisma = createPrismaClient(databaseUrl);
const env: Record<string, string> = {};
for (const name of [
  "FLINT_CLUSTER_SECRET",
  "BETTER_AUTH_SECRET",
  "FLINT_CATALOG_KEY",
  "FLINT_LEASE_SECONDS",
  "FLINT_SERVER_NAME",
])
  if (process.env[name]) env[name] = process.env[name];
const flint = await startTestFlint({
  prisma,
  dataDirPrefix: "flint-cluster-runtime-",
  cluster: { dataDir, env },
  log: (message) => process.stderr.write(`[${env.FLINT_SERVER_NAME}] ${message}\n`),
});
process.stdout.write(`FLINT_TEST_READY ${flint.baseUrl} ${flint.identity.id}\n`);
process.on("SIGTERM", () => {
  void flint
    .stop()
    .then(() => prisma.$disconnect())
    .finally(() => process.exit(0));
});
