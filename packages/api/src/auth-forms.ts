/**
 * The endpoints behind the sign-in and sign-up pages' HTML forms (`POST /api/forms/sign-in`,
 * `POST /api/forms/sign-up`). The forms post here with `method="post"`, so a form sent before the
 * page's scripts run, or with scripts off, signs in and follows a 303 to its `next` path; the
 * credentials travel only in the request body, never in a URL (SECURITY.md case 31). Hydrated
 * pages send the same form with `Accept: application/json` and get JSON back, so a wrong password
 * is shown in place. Both go through better-auth's own handler, so its rate limits and hooks hold.
 */
import { z } from "zod";
import type { TAuth } from "./auth.js";
import { AppError, describeZodError } from "./errors.js";
import { WEAK_PASSWORD_MESSAGES } from "./password-rules.js";
import { errorResponse, json, readBodyLimited } from "./router.js";

/** Two short fields and a path: anything larger is not from Flint's forms. */
const MAX_FORM_BYTES = 16_384;

/**
 * Why a form was refused, as the page that shows it names it (`/login?error=invalid`). Only these
 * words ever go into the URL: nothing the person typed.
 */
export type TAuthFormReason =
  | "invalid"
  | "rate_limited"
  | "locked"
  | "unavailable"
  | "exists"
  | "email"
  | "password_short"
  | "password_long"
  | "password_breached"
  | "signup_closed"
  | "invitation_required"
  | "invitation_invalid"
  | "failed";

const ZNext = z.string().max(2000).optional();
const ZSignInForm = z.object({
  email: z.string().trim().min(1, "Enter your email.").max(320),
  password: z.string().min(1, "Enter your password.").max(256),
  next: ZNext,
});
const ZSignUpForm = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100),
  email: z.string().trim().min(1, "Enter your email.").max(320),
  // The password rule is password-policy.ts's, in better-auth's hook; here only a sane bound.
  password: z.string().min(1, "Choose a password.").max(1000),
  // The invitation of the link the page was opened with (FLINT_SIGNUP=invite); empty without.
  inviteToken: z
    .string()
    .max(200)
    .optional()
    .transform((value) => value || undefined),
  next: ZNext,
});

interface TFormKind {
  /** The page that shows the form, where a refused form is sent back to. */
  page: "/login" | "/signup";
  /** better-auth's endpoint that does the work. */
  authPath: string;
  schema: typeof ZSignInForm | typeof ZSignUpForm;
  reasonOf: (status: number, code: string | undefined) => TAuthFormReason;
}

const FORMS: Record<string, TFormKind> = {
  "/api/forms/sign-in": {
    page: "/login",
    authPath: "/api/auth/sign-in/email",
    schema: ZSignInForm,
    // One reason for an unknown email, a wrong password and a disabled account: nobody learns
    // which accounts exist.
    reasonOf: (status, code) =>
      code === "SIGN_IN_LOCKED"
        ? "locked"
        : status === 429
          ? "rate_limited"
          : status >= 500
            ? "unavailable"
            : "invalid",
  },
  "/api/forms/sign-up": {
    page: "/signup",
    authPath: "/api/auth/sign-up/email",
    schema: ZSignUpForm,
    reasonOf: (status, code) => {
      if (status === 429) return "rate_limited";
      if (status >= 500) return "unavailable";
      if (code?.startsWith("USER_ALREADY_EXISTS")) return "exists";
      if (code === "INVALID_EMAIL") return "email";
      if (code === "PASSWORD_TOO_SHORT") return "password_short";
      if (code === "PASSWORD_TOO_LONG") return "password_long";
      if (code === "PASSWORD_BREACHED") return "password_breached";
      // FLINT_SIGNUP (services/invitations.ts): closed, no invitation, or one that cannot be used.
      if (code === "SIGN_UP_CLOSED") return "signup_closed";
      if (code === "INVITATION_REQUIRED") return "invitation_required";
      if (code?.startsWith("INVITATION_")) return "invitation_invalid";
      return "failed";
    },
  },
};

/** What a JSON caller reads for each reason (the pages show their own words for it). */
const REASON_ERRORS: Record<TAuthFormReason, AppError> = {
  invalid: new AppError("unauthorized", "Wrong email or password."),
  rate_limited: new AppError("too_many_requests", "Too many attempts; wait a minute and try again."),
  locked: new AppError(
    "too_many_requests",
    "Too many failed sign-ins for this account; wait a few minutes and try again.",
  ),
  unavailable: new AppError("unavailable", "Accounts are not available right now; try again shortly."),
  exists: new AppError("conflict", "An account with this email already exists."),
  email: new AppError("bad_request", "That is not a valid email address."),
  password_short: new AppError("bad_request", WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_SHORT),
  password_long: new AppError("bad_request", WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_LONG),
  password_breached: new AppError("bad_request", WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED),
  signup_closed: new AppError(
    "forbidden",
    "Sign-up is closed on this Flint: ask an administrator to add you.",
  ),
  invitation_required: new AppError(
    "forbidden",
    "Sign-up on this Flint needs an invitation: ask an administrator for an invitation link.",
  ),
  invitation_invalid: new AppError(
    "forbidden",
    "This invitation cannot be used (expired, used, revoked, or for another e-mail address): ask an administrator for a new link.",
  ),
  failed: new AppError("bad_request", "The account could not be created."),
};

/**
 * A redirect target is only ever a same-origin path: `/x`, never `//host`, `/\host` or a URL
 * (SECURITY.md case 19). Anything else becomes `/`.
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value?.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  try {
    const url = new URL(value, "http://flint.invalid");
    return url.origin === "http://flint.invalid" ? `${url.pathname}${url.search}${url.hash}` : "/";
  } catch {
    return "/";
  }
}

/** True for the paths {@link createAuthForms} answers. */
export function isAuthFormPath(pathname: string): boolean {
  return pathname.startsWith("/api/forms/");
}

/** Options of {@link createAuthForms}. */
export interface TAuthFormsOptions {
  auth: TAuth;
  /** The origins of Flint's own pages. */
  trustedOrigins: string[];
  /** Called with unexpected errors (for the server log); the caller only sees a generic 500. */
  onUnexpectedError?: (error: unknown, request: Request) => void;
}

/** Creates the handler of `/api/forms/*`. */
export function createAuthForms(options: TAuthFormsOptions): (request: Request) => Promise<Response> {
  const { auth, trustedOrigins } = options;
  return async (request) => {
    try {
      const url = new URL(request.url);
      const kind = FORMS[url.pathname];
      if (!kind) throw new AppError("not_found", `No form endpoint ${url.pathname}.`);
      if (request.method !== "POST") {
        return json({ error: { code: "method_not_allowed", message: `Use POST on ${url.pathname}.` } }, 405, {
          allow: "POST",
        });
      }
      // A form body is a "simple" request any site can send, so the Origin is the CSRF check
      // here, cookie or not: another site must not sign a visitor into an account of its choice.
      const origin = request.headers.get("origin");
      if (!origin || !trustedOrigins.includes(origin)) {
        throw new AppError("forbidden", "Cross-origin form rejected: sign in from Flint's own pages.");
      }
      const contentType = request.headers.get("content-type") ?? "";
      if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
        throw new AppError(
          "unsupported_media_type",
          "Send the form as application/x-www-form-urlencoded (the sign-in page's form does).",
        );
      }
      const raw = await readBodyLimited(request, MAX_FORM_BYTES);
      const parsed = kind.schema.safeParse(
        Object.fromEntries(new URLSearchParams(new TextDecoder().decode(raw))),
      );
      if (!parsed.success) throw new AppError("bad_request", describeZodError("form", parsed.error));
      const { next, ...fields } = parsed.data;
      const nextPath = safeNextPath(next);
      const wantsJson = (request.headers.get("accept") ?? "").includes("application/json");
      const refuse = (
        reason: TAuthFormReason,
        detail?: { message?: string; retryAfter?: number },
      ): Response => {
        if (wantsJson) {
          const error = REASON_ERRORS[reason];
          const message = detail?.message ?? error.message;
          const extra = detail?.retryAfter === undefined ? {} : { retryAfter: detail.retryAfter };
          return json({ error: { code: error.code, message, reason, ...extra } }, error.status);
        }
        // Post/redirect/get back to the form with the reason; `next` survives, typed fields do not.
        const back = new URLSearchParams({ error: reason });
        if (next && nextPath !== "/") back.set("next", nextPath);
        return new Response(null, {
          status: 303,
          headers: { location: `${kind.page}?${back}`, "cache-control": "no-store" },
        });
      };
      // better-auth checks the address too, but names the failure only in prose.
      if (kind.page === "/signup" && !z.email().safeParse(fields.email).success) return refuse("email");

      // better-auth's own handler, called as if the browser had posted JSON to it: the same
      // rate-limit buckets, client address, cookies and session hooks apply.
      const headers = new Headers(request.headers);
      headers.set("content-type", "application/json");
      headers.set("accept", "application/json");
      headers.delete("content-length");
      const answer = await auth.handler(
        new Request(new URL(kind.authPath, url), { method: "POST", headers, body: JSON.stringify(fields) }),
      );
      if (!answer.ok) {
        const body = (await answer.json().catch(() => null)) as {
          code?: unknown;
          message?: unknown;
          retryAfter?: unknown;
        } | null;
        const reason = kind.reasonOf(answer.status, typeof body?.code === "string" ? body.code : undefined);
        // A locked account's own sentence says when to retry (it names no account data).
        if (reason === "locked" && typeof body?.message === "string")
          return refuse(reason, {
            message: body.message,
            retryAfter: typeof body.retryAfter === "number" ? body.retryAfter : undefined,
          });
        return refuse(reason);
      }
      const response = wantsJson
        ? json({ redirect: nextPath })
        : new Response(null, { status: 303, headers: { location: nextPath, "cache-control": "no-store" } });
      for (const cookie of answer.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
      return response;
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error);
      options.onUnexpectedError?.(error, request);
      return errorResponse(
        new AppError("internal", "Something went wrong on the server; it has been logged. Try again."),
      );
    }
  };
}
