"use client";
// The sign-in and sign-up forms post to `/api/forms/*` (packages/api/src/auth-forms.ts). Before
// the page hydrates, or without scripts, the browser sends them itself and follows the 303;
// once hydrated, `sendAuthForm` sends the same fields and shows a refusal in place.
import type { TAuthFormReason } from "@flint/api";
import { WEAK_PASSWORD_MESSAGES } from "@flint/api/password-rules";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { type ApiError, sendJson } from "@/lib/api";

/** What the pages say for each reason the server gives (in JSON, or as `?error=` after a redirect). */
const REASON_MESSAGES: Record<TAuthFormReason, string> = {
  // One message for an unknown email and a wrong password: nobody learns which accounts exist.
  invalid: "Wrong email or password.",
  rate_limited: "Too many attempts; wait a minute and try again.",
  locked: "Too many failed sign-ins for this account; wait a few minutes and try again.",
  unavailable: "Accounts are not available right now; try again shortly.",
  exists: "An account with this email already exists. Sign in instead?",
  email: "That is not a valid email address.",
  password_short: WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_SHORT,
  password_long: WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_LONG,
  password_breached: WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED,
  signup_closed: "Sign-up is closed on this Flint: ask an administrator to add you.",
  invitation_required:
    "Sign-up on this Flint needs an invitation: ask an administrator for an invitation link.",
  invitation_invalid:
    "This invitation cannot be used (expired, used, revoked, or for another e-mail address): ask an administrator for a new link.",
  failed: "The account could not be created.",
};

/** The message for a reason, or null for none or an unknown word. */
function reasonMessage(reason: string | null): string | null {
  return reason && Object.hasOwn(REASON_MESSAGES, reason) ? REASON_MESSAGES[reason as TAuthFormReason] : null;
}

/**
 * The form's error message: at first the one a form sent before hydration (or without scripts)
 * came back with (`?error=<reason>`). Once hydrated the reason leaves the address bar, so a
 * reload shows a fresh form rather than an old refusal.
 */
export function useAuthFormError(): [string | null, (message: string | null) => void] {
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(() => reasonMessage(params.get("error")));
  useEffect(() => {
    const url = new URL(window.location.href);
    if (!url.searchParams.has("error")) return;
    url.searchParams.delete("error");
    window.history.replaceState(window.history.state, "", url);
  }, []);
  return [error, setError];
}

/**
 * Sends `form` (a `method="post"` form whose action is a `/api/forms/*` endpoint) and, when the
 * server took it, goes where it says. Returns the message to show when it did not.
 */
export async function sendAuthForm(form: HTMLFormElement): Promise<string | null> {
  const fields = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (typeof value === "string") fields.append(name, value);
  try {
    // The sign-in forms' endpoints are not API routes (no contract entry): better-auth answers them.
    const { redirect } = (await sendJson(form.action, {
      method: "POST",
      body: fields,
      headers: { accept: "application/json" },
    })) as { redirect: string };
    window.location.assign(redirect);
    return null;
  } catch (caught) {
    const error = caught as ApiError;
    // A locked account's answer says when to retry; the generic sentence does not.
    if (error.body?.reason === "locked") return error.message;
    return reasonMessage(String(error.body?.reason ?? "")) ?? error.message;
  }
}
