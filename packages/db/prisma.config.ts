// Prisma CLI configuration. `engine: "js"` with the pg driver adapter lets `prisma generate` and
// `prisma migrate diff` work without Prisma's native engines, which cannot be downloaded here.
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  engine: "js",
  experimental: { adapter: true },
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://localhost/flint" }),
});
