export {
  createPrismaClient,
  disconnectPrisma,
  driverDb,
  getPrisma,
  listenDb,
  Prisma,
  PrismaClient,
  type TDbListener,
  type TDriverDb,
  withDriverTransaction,
} from "./client.js";
