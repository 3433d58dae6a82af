/**
 * The password rules' numbers and refusal messages, importable by pages (the sign-up form's hint
 * and `minLength`) without pulling in the server's breached-password list (password-policy.ts).
 */

/**
 * Fewest characters a new password may have. NIST SP 800-63B asks for at least 8 with a
 * breached-list check; 10 is what the list check needs to matter (most leaked passwords are
 * shorter) while staying easy with a passphrase.
 */
export const MIN_PASSWORD_LENGTH = 10;

/** Most characters a password may have: scrypt hashes any length, this only bounds the work. */
export const MAX_PASSWORD_LENGTH = 256;

/** Why a password was refused; the codes better-auth answers with (`PASSWORD_TOO_SHORT` is its own). */
export type TWeakPasswordReason = "PASSWORD_TOO_SHORT" | "PASSWORD_TOO_LONG" | "PASSWORD_BREACHED";

const ADVICE = "A few unrelated words make a long password that is easy to remember.";

/** What each refusal says, in the API's answers and on the pages. */
export const WEAK_PASSWORD_MESSAGES: Record<TWeakPasswordReason, string> = {
  PASSWORD_TOO_SHORT: `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters. ${ADVICE}`,
  PASSWORD_TOO_LONG: `The password is too long: use at most ${MAX_PASSWORD_LENGTH} characters.`,
  PASSWORD_BREACHED: `This password appears in lists of passwords leaked in data breaches, so attackers try it first: choose another one. ${ADVICE}`,
};
