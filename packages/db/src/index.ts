export { createPrismaClient, disconnectPrisma, getPrisma, PrismaClient } from "./client.js";
export type { Prisma } from "./client.js";
