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
export {
  listenForNotifications,
  type TNotificationHandlers,
  type TNotificationListener,
} from "./notifications.js";
