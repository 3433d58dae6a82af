export {
  createPrismaClient,
  disconnectPrisma,
  driverDb,
  getPrisma,
  Prisma,
  PrismaClient,
  type TDriverDb,
  withDriverTransaction,
} from "./client.js";
