/**
 * Who may sign up (FLINT_SIGNUP) and the invitations that let one e-mail address in. An
 * invitation's secret is 32 random bytes carried by the link shown once to the administrator;
 * only its SHA-256 is stored (as for access tokens), so the database alone cannot sign anyone up.
 * Sign-up itself stays better-auth's: auth.ts calls {@link checkSignUp} before it and
 * {@link claimInvitation} as it creates the user.
 */
import { randomBytes } from "node:crypto";
import type { PrismaClient } from "@flint/db";
import type { z } from "zod";
import type { TSignUpMode } from "../config.js";
import type { TInvitation, TSignUpStatus, ZCreateInvitationRequest } from "../contract/admin.js";
import { AppError, notFound } from "../errors.js";
import { hashToken } from "../tokens.js";

/** Why a sign-up was refused; auth.ts sends it as better-auth's error `code`. */
export type TSignUpRefusal =
  | "SIGN_UP_CLOSED"
  | "INVITATION_REQUIRED"
  | "INVITATION_UNKNOWN"
  | "INVITATION_USED"
  | "INVITATION_REVOKED"
  | "INVITATION_EXPIRED"
  | "INVITATION_OTHER_EMAIL";

/** A refused sign-up: a 403 whose message says what the person can do about it. */
export class SignUpRefusedError extends AppError {
  constructor(
    readonly reason: TSignUpRefusal,
    message: string,
  ) {
    super("forbidden", message, { reason });
  }
}

const INVITATION_SELECT = {
  id: true,
  email: true,
  createdAt: true,
  expiresAt: true,
  createdBy: { select: { name: true, email: true } },
} as const;

function toInvitation(
  row: {
    id: string;
    email: string;
    createdAt: Date;
    expiresAt: Date;
    createdBy: { name: string; email: string };
  },
  now: Date,
): TInvitation {
  return {
    id: row.id,
    email: row.email,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    invitedBy: row.createdBy.name || row.createdBy.email,
    status: row.expiresAt > now ? "pending" : "expired",
  };
}

/** The link that signs up with an invitation: the sign-up page with the secret in `invite`. */
export function invitationUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}/signup?invite=${encodeURIComponent(secret)}`;
}

/**
 * Creates an invitation for one address, valid for `expiresInDays`. Returns the link with its
 * secret, which is never shown again.
 * @throws AppError 409 when the address already has an account.
 */
export async function createInvitation(
  prisma: PrismaClient,
  createdById: string,
  request: z.output<typeof ZCreateInvitationRequest>,
  publicUrl: string,
): Promise<{ invitation: TInvitation; url: string }> {
  const existing = await prisma.user.findUnique({ where: { email: request.email }, select: { id: true } });
  if (existing) {
    throw new AppError(
      "conflict",
      `${request.email} already has an account; they can sign in (enable them under Users if disabled).`,
    );
  }
  const secret = randomBytes(32).toString("base64url");
  const now = new Date();
  const row = await prisma.invitation.create({
    data: {
      email: request.email,
      tokenHash: hashToken(secret),
      createdById,
      expiresAt: new Date(now.getTime() + request.expiresInDays * 24 * 60 * 60 * 1000),
    },
    select: INVITATION_SELECT,
  });
  return { invitation: toInvitation(row, now), url: invitationUrl(publicUrl, secret) };
}

/** Lists invitations neither used nor revoked (expired ones too), newest first. */
export async function listPendingInvitations(prisma: PrismaClient): Promise<TInvitation[]> {
  const now = new Date();
  const rows = await prisma.invitation.findMany({
    where: { usedAt: null, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: INVITATION_SELECT,
  });
  return rows.map((row) => toInvitation(row, now));
}

/**
 * Revokes an invitation that was neither used nor revoked.
 * @throws AppError 404 when there is no such pending invitation.
 */
export async function revokeInvitation(prisma: PrismaClient, id: string): Promise<void> {
  const result = await prisma.invitation.updateMany({
    where: { id, usedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count !== 1) throw notFound("Pending invitation");
}

/** Why the invitation with `secret` cannot sign up `email` (null: it can), with its address. */
async function inspectInvitation(
  prisma: PrismaClient,
  secret: string,
  email: string | null,
): Promise<{ invitation: { email: string; expiresAt: Date } | null; refusal: SignUpRefusedError | null }> {
  const row = await prisma.invitation.findUnique({
    where: { tokenHash: hashToken(secret) },
    select: { email: true, expiresAt: true, usedAt: true, revokedAt: true },
  });
  if (!row) {
    return {
      invitation: null,
      refusal: new SignUpRefusedError(
        "INVITATION_UNKNOWN",
        "This invitation link is not valid: check that you copied all of it, or ask an administrator for a new one.",
      ),
    };
  }
  const invitation = { email: row.email, expiresAt: row.expiresAt };
  if (row.usedAt) {
    return {
      invitation,
      refusal: new SignUpRefusedError(
        "INVITATION_USED",
        "This invitation has already been used: sign in, or ask an administrator for a new one.",
      ),
    };
  }
  if (row.revokedAt) {
    return {
      invitation,
      refusal: new SignUpRefusedError(
        "INVITATION_REVOKED",
        "This invitation was withdrawn by an administrator: ask one for a new invitation.",
      ),
    };
  }
  if (row.expiresAt <= new Date()) {
    return {
      invitation,
      refusal: new SignUpRefusedError(
        "INVITATION_EXPIRED",
        `This invitation expired on ${row.expiresAt.toISOString().slice(0, 10)}: ask an administrator for a new one.`,
      ),
    };
  }
  if (email !== null && email.trim().toLowerCase() !== row.email) {
    return {
      invitation,
      refusal: new SignUpRefusedError(
        "INVITATION_OTHER_EMAIL",
        `This invitation is for ${row.email}: sign up with that address, or ask an administrator to invite yours.`,
      ),
    };
  }
  return { invitation, refusal: null };
}

function closedRefusal(): SignUpRefusedError {
  return new SignUpRefusedError(
    "SIGN_UP_CLOSED",
    "Sign-up is closed on this Flint: ask an administrator to create an account for you.",
  );
}

function invitationRequired(): SignUpRefusedError {
  return new SignUpRefusedError(
    "INVITATION_REQUIRED",
    "Sign-up on this Flint needs an invitation: ask an administrator for an invitation link.",
  );
}

/** Tells the sign-up page which mode is in force and whether the link's invitation can be used. */
export async function describeSignUp(
  prisma: PrismaClient,
  mode: TSignUpMode,
  secret: string | undefined,
): Promise<TSignUpStatus> {
  const asProblem = (error: SignUpRefusedError) => ({ reason: error.reason, message: error.message });
  if (mode === "closed") return { mode, invitation: null, problem: asProblem(closedRefusal()) };
  if (!secret) {
    return { mode, invitation: null, problem: mode === "invite" ? asProblem(invitationRequired()) : null };
  }
  const { invitation, refusal } = await inspectInvitation(prisma, secret, null);
  if (refusal) {
    // With sign-up open, a stale link does not keep anyone out: the page says so and offers the form.
    return { mode, invitation: null, problem: asProblem(refusal) };
  }
  return {
    mode,
    invitation: invitation && { email: invitation.email, expiresAt: invitation.expiresAt.toISOString() },
    problem: null,
  };
}

/**
 * Refuses a sign-up the mode does not allow, before anything about accounts is looked up (so a
 * refused visitor cannot learn which addresses have one). Does not use the invitation up.
 * @throws SignUpRefusedError
 */
export async function checkSignUp(
  prisma: PrismaClient,
  mode: TSignUpMode,
  input: { email: string; inviteToken?: string },
): Promise<void> {
  if (mode === "open") return;
  if (mode === "closed") throw closedRefusal();
  if (!input.inviteToken) throw invitationRequired();
  const { refusal } = await inspectInvitation(prisma, input.inviteToken, input.email);
  if (refusal) throw refusal;
}

/**
 * Uses up the invitation `inviteToken` for `email`, in one conditional update so two sign-ups
 * with the same link cannot both pass. Called as the account is created.
 * @throws SignUpRefusedError when it is unknown, used, revoked, expired or for another address.
 */
export async function claimInvitation(
  prisma: PrismaClient,
  input: { email: string; inviteToken: string },
): Promise<void> {
  const email = input.email.trim().toLowerCase();
  const claimed = await prisma.invitation.updateMany({
    where: {
      tokenHash: hashToken(input.inviteToken),
      email,
      usedAt: null,
      revokedAt: null,
      expiresAt: { gt: new Date() },
    },
    data: { usedAt: new Date() },
  });
  if (claimed.count === 1) return;
  const { refusal } = await inspectInvitation(prisma, input.inviteToken, email);
  // The only way to get here without a reason is a race that another sign-up just won.
  throw (
    refusal ??
    new SignUpRefusedError(
      "INVITATION_USED",
      "This invitation has already been used: sign in, or ask an administrator for a new one.",
    )
  );
}

/**
 * Marks the invitations still pending for `email` used, once it has an account (however it was
 * made), so administrators do not see them as outstanding.
 */
export async function closeInvitationsFor(prisma: PrismaClient, email: string): Promise<void> {
  await prisma.invitation.updateMany({
    where: { email: email.trim().toLowerCase(), usedAt: null, revokedAt: null },
    data: { usedAt: new Date() },
  });
}
