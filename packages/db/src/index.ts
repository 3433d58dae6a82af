export type { Prisma } from "./client.js";
export { createPrismaClient, disconnectPrisma, getPrisma, PrismaClient } from "./client.js";
