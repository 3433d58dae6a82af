/**
 * Accounts: better-auth does password hashing (scrypt), sessions and cookies; Flint adds personal
 * access tokens (tokens.ts), the disabled flag and who may sign up (FLINT_SIGNUP, invitations).
 * Nothing here hand-rolls password or session crypto.
 */
import type { PrismaClient } from "@flint/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { z } from "zod";
import { CLIENT_ADDRESS_HEADER } from "./client-address.js";
import type { TConfig } from "./config.js";
import { checkNewPassword, WeakPasswordError } from "./password-policy.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-rules.js";
import {
  checkSignUp,
  claimInvitation,
  closeInvitationsFor,
  SignUpRefusedError,
} from "./services/invitations.js";
import { createSignInGuard, type TSignInGuard } from "./sign-in-guard.js";

/**
 * The fields of a sign-up body Flint reads besides better-auth's own: the invitation's secret
 * travels in `inviteToken` (better-auth passes unknown fields through and stores none of them).
 */
const ZSignUpExtras = z.object({
  email: z.string().max(320).catch(""),
  inviteToken: z.string().max(200).optional().catch(undefined),
});

function readSignUpExtras(body: unknown): z.infer<typeof ZSignUpExtras> {
  return ZSignUpExtras.parse(body && typeof body === "object" ? body : {});
}

/** Runs a sign-up rule, answering a refusal as better-auth's 403 with Flint's message and reason. */
async function refuseAs403(check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof SignUpRefusedError)
      throw new APIError("FORBIDDEN", { message: error.message, code: error.reason });
    throw error;
  }
}

/**
 * The endpoints that set a password, and the body field that carries it. better-auth checks only
 * the length; Flint's rule (password-policy.ts) runs here first, before anything is stored.
 */
const NEW_PASSWORD_FIELDS: Record<string, "password" | "newPassword"> = {
  "/sign-up/email": "password",
  "/change-password": "newPassword",
  "/reset-password": "newPassword",
};

/** Refuses a weak new password as a 400 whose code says why (PASSWORD_TOO_SHORT, PASSWORD_BREACHED). */
async function refuseWeakPassword(body: unknown, field: "password" | "newPassword"): Promise<void> {
  const password = body && typeof body === "object" ? (body as Record<string, unknown>)[field] : undefined;
  // A missing or non-string password is better-auth's to refuse, with its own message.
  if (typeof password !== "string") return;
  try {
    await checkNewPassword(password);
  } catch (error) {
    if (error instanceof WeakPasswordError)
      throw new APIError("BAD_REQUEST", { message: error.message, code: error.reason });
    throw error;
  }
}

/** The e-mail of a sign-in body, or null when there is none to count against. */
function readSignInEmail(body: unknown): string | null {
  const email = (body as { email?: unknown } | null)?.email;
  return typeof email === "string" && email.trim() !== "" ? email.slice(0, 320) : null;
}

/**
 * Creates the better-auth instance of this Flint process. With the sign-in limits on
 * (FLINT_AUTH_RATE_LIMIT), `guard` holds the per-account limit; better-auth's own limit counts
 * per client address, which the API sets in {@link CLIENT_ADDRESS_HEADER} from the socket (and
 * trusted proxies only), never from a header the client chose.
 */
export function createAuth(
  config: TConfig,
  prisma: PrismaClient,
  guard: TSignInGuard | null = config.isAuthRateLimited ? createSignInGuard(prisma) : null,
) {
  return betterAuth({
    appName: "Flint",
    baseURL: config.publicUrl,
    basePath: "/api/auth",
    secret: config.authSecret,
    trustedOrigins: config.trustedOrigins,
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      autoSignIn: true,
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    rateLimit: {
      enabled: config.isAuthRateLimited,
      window: 60,
      max: 200,
      customRules: { "/sign-in/email": { window: 60, max: 20 }, "/sign-up/email": { window: 60, max: 20 } },
      // In PostgreSQL (the `rate_limit` table), so several web servers keep one count per address
      // (docs/deployment.md, "Several web servers").
      storage: "database",
    },
    advanced: {
      // The only address header read is the one the API itself sets from the socket; the API
      // removes any copy a client sent.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
      // HttpOnly is better-auth's default; SameSite=Lax blocks cross-site POSTs carrying the cookie.
      defaultCookieAttributes: {
        httpOnly: true,
        sameSite: "lax",
        secure: config.publicUrl.startsWith("https:"),
      },
      useSecureCookies: config.publicUrl.startsWith("https:"),
    },
    hooks: {
      // FLINT_SIGNUP is enforced here, on the server, before better-auth looks the address up: a
      // refused visitor learns nothing about which accounts exist.
      // New passwords are checked after that (a closed sign-up says so whatever the password).
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-in/email" && guard) {
          const email = readSignInEmail(ctx.body);
          const lock = email
            ? await guard.check(email, ctx.headers?.get(CLIENT_ADDRESS_HEADER) ?? "unknown")
            : null;
          // Refused before the password is checked, so a locked account takes no guesses. The
          // same answer for an e-mail with no account: the lock reveals nothing.
          if (lock)
            throw new APIError(
              "TOO_MANY_REQUESTS",
              {
                message: `Too many failed sign-ins for this account; try again in ${describeWait(lock.retryAfterSeconds)} (after ${lock.retryAt.toISOString()}).`,
                code: "SIGN_IN_LOCKED",
                retryAfter: lock.retryAfterSeconds,
              },
              { "retry-after": String(lock.retryAfterSeconds) },
            );
        }
        if (ctx.path === "/sign-up/email")
          await refuseAs403(() => checkSignUp(prisma, config.signUpMode, readSignUpExtras(ctx.body)));
        const field = NEW_PASSWORD_FIELDS[ctx.path];
        if (field) await refuseWeakPassword(ctx.body, field);
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-in/email" || !guard) return;
        const email = readSignInEmail(ctx.body);
        if (!email) return;
        const address = ctx.headers?.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
        const returned = ctx.context.returned;
        if (ctx.context.newSession) await guard.recordSuccess(email, address);
        else if (returned instanceof APIError && returned.statusCode === 401)
          await guard.recordFailure(email, address);
      }),
    },
    databaseHooks: {
      user: {
        create: {
          // Every account better-auth creates passes here, whichever endpoint made it; the
          // invitation is used up in the same step, so one link signs up one account.
          before: async (user, context) => {
            await refuseAs403(async () => {
              const { inviteToken } = readSignUpExtras(context?.body);
              if (config.signUpMode === "invite" && inviteToken)
                await claimInvitation(prisma, { email: user.email, inviteToken });
              else await checkSignUp(prisma, config.signUpMode, { email: user.email });
            });
            return undefined;
          },
          // Other invitations for the address are done with once it has an account.
          after: async (user) => closeInvitationsFor(prisma, user.email),
        },
      },
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

/** "40 s", "3 min": how long a locked sign-in waits. */
function describeWait(seconds: number): string {
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

/** The better-auth instance type. */
export type TAuth = ReturnType<typeof createAuth>;
