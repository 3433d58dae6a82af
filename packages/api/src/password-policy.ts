/**
 * Which new passwords Flint accepts: long enough, and not one of the passwords most often found
 * in breach dumps (the first ones an attacker tries). The list is checked offline: it ships in
 * `@zxcvbn-ts/language-common` (MIT, the zxcvbn-ts project's ~49,000 most common passwords from
 * leaked corpora), so no password or hash of one ever leaves the server, and closed deployments
 * without internet access get the same rule. Every way a password is set goes through
 * {@link checkNewPassword}: better-auth's sign-up, change and reset endpoints (auth.ts) and
 * `upsertPasswordUser` (the CLI's `user add`, the demo seed).
 */
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  type TWeakPasswordReason,
  WEAK_PASSWORD_MESSAGES,
} from "./password-rules.js";

/** A refused password, with a message that says why and what to do instead. */
export class WeakPasswordError extends Error {
  constructor(
    readonly reason: TWeakPasswordReason,
    message: string,
  ) {
    super(message);
    this.name = "WeakPasswordError";
  }
}

let breached: Promise<ReadonlySet<string>> | null = null;

/**
 * The breached passwords long enough to pass the length rule, lower-cased (the list is). Loaded
 * on first use: decompressing the list takes a few tens of milliseconds and ~500 kB, which only
 * a process that sets passwords needs; shorter entries are dropped since the length rule already
 * refuses them.
 */
function breachedPasswords(): Promise<ReadonlySet<string>> {
  breached ??= import("@zxcvbn-ts/language-common").then(
    ({ dictionary }) =>
      new Set(
        (dictionary["passwords-common"] as string[])
          .filter((entry) => entry.length >= MIN_PASSWORD_LENGTH)
          .map((entry) => entry.toLowerCase()),
      ),
  );
  return breached;
}

/**
 * Refuses a password that is too short, too long, or on the breached list (compared without
 * case: `Password123` is as guessable as `password123`). Resolves when it is acceptable.
 *
 * @throws {WeakPasswordError} with the reason and a message for the person choosing it.
 */
export async function checkNewPassword(password: string): Promise<void> {
  // Characters as a person counts them (an emoji is one), not UTF-16 units.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    throw new WeakPasswordError("PASSWORD_TOO_SHORT", WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_SHORT);
  if (length > MAX_PASSWORD_LENGTH)
    throw new WeakPasswordError("PASSWORD_TOO_LONG", WEAK_PASSWORD_MESSAGES.PASSWORD_TOO_LONG);
  if ((await breachedPasswords()).has(password.toLowerCase()))
    throw new WeakPasswordError("PASSWORD_BREACHED", WEAK_PASSWORD_MESSAGES.PASSWORD_BREACHED);
}
