export type { Prisma } from "./client.js";
export {
  createPrismaClient,
  disconnectPrisma,
  getPrisma,
  PrismaClient,
  type TDriverDb,
  withDriverTransaction,
} from "./client.js";
