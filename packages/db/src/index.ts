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
export {
  listenForNotifications,
  type TNotificationHandlers,
  type TNotificationListener,
} from "./notifications.js";
