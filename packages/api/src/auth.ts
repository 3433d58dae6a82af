/**
 * Accounts: better-auth does password hashing (scrypt), sessions and cookies; Flint adds personal
 * access tokens (tokens.ts) and the disabled flag. Nothing here hand-rolls password or session crypto.
 */
import type { PrismaClient } from "@flint/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import type { TConfig } from "./config.js";

/** Creates the better-auth instance of this Flint process. */
export function createAuth(config: TConfig, prisma: PrismaClient) {
  return betterAuth({
    appName: "Flint",
    baseURL: config.publicUrl,
    basePath: "/api/auth",
    secret: config.authSecret,
    trustedOrigins: config.trustedOrigins,
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 256, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    rateLimit: {
      enabled: config.isAuthRateLimited,
      window: 60,
      max: 200,
      customRules: { "/sign-in/email": { window: 60, max: 20 }, "/sign-up/email": { window: 60, max: 20 } },
    },
    advanced: {
      // HttpOnly is better-auth's default; SameSite=Lax blocks cross-site POSTs carrying the cookie.
      defaultCookieAttributes: {
        httpOnly: true,
        sameSite: "lax",
        secure: config.publicUrl.startsWith("https:"),
      },
      useSecureCookies: config.publicUrl.startsWith("https:"),
    },
    databaseHooks: {
      session: {
        create: {
          // A disabled account (`flint user disable`) cannot start a session.
          before: async (session) => {
            const user = await prisma.user.findUnique({
              where: { id: session.userId },
              select: { disabledAt: true },
            });
            return user?.disabledAt ? false : undefined;
          },
        },
      },
    },
  });
}

/** The better-auth instance type. */
export type TAuth = ReturnType<typeof createAuth>;
