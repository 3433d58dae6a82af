export type { Prisma } from "./client.js";
export {
  createPrismaClient,
  disconnectPrisma,
  driverDb,
  getPrisma,
  PrismaClient,
  type TDriverDb,
  withDriverTransaction,
} from "./client.js";
