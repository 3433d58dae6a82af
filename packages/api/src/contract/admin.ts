/** Who may join (the sign-up mode) and the site's administration: users and invitations. */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** How long an invitation is valid unless the administrator says otherwise. */
export const DEFAULT_INVITATION_DAYS = 7;

/** E-mail addresses as better-auth stores them: trimmed and lower-case. */
export const ZInvitationEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("not an email address").max(320));

export const ZCreateInvitationRequest = z.strictObject({
  email: ZInvitationEmail,
  expiresInDays: z.number().int().min(1).max(90).default(DEFAULT_INVITATION_DAYS),
});

export type TCreateInvitationRequest = z.input<typeof ZCreateInvitationRequest>;

/** An invitation as administrators see it: never its secret. */
export const ZInvitation = z.object({
  id: z.string(),
  email: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  invitedBy: z.string(),
  /** `expired` ones stay listed until revoked, so the administrator sees why a link fails. */
  status: z.enum(["pending", "expired"]),
});

export type TInvitation = z.infer<typeof ZInvitation>;

/** What the sign-up page needs to know before it shows a form. */
export const ZSignUpStatus = z.object({
  mode: z.enum(["open", "invite", "closed"]),
  /** The invitation the link carries, when it can be used. */
  invitation: z.object({ email: z.string(), expiresAt: z.string() }).nullable(),
  /** Why this visitor cannot sign up, or why the link's invitation cannot be used; null when they can. */
  problem: z
    .object({ reason: z.string(), message: z.string() })
    .nullable()
    .describe("Why sign-up is refused, in words a person can act on"),
});

export type TSignUpStatus = z.infer<typeof ZSignUpStatus>;

/** A user in the Administration page's list: no password, no tokens. */
export const ZSiteUser = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  createdAt: z.string(),
  disabledAt: z.string().nullable(),
  isAdmin: z.boolean(),
});

export type TSiteUser = z.infer<typeof ZSiteUser>;

export const ZUpdateSiteUserRequest = z.strictObject({ disabled: z.boolean() });

/** The sign-up and administration endpoints. */
export const adminEndpoints = {
  getSignUpStatus: defineEndpoint({
    method: "GET",
    path: "/api/v1/signup",
    summary: "Whether sign-up is open, needs an invitation or is closed; and the link's invitation",
    tag: "account",
    access: "public",
    query: z.object({
      invite: z
        .string()
        .max(200)
        .optional()
        .describe("The secret of an invitation link (`/signup?invite=`)."),
    }),
    response: ZSignUpStatus,
  }),
  listSiteUsers: defineEndpoint({
    method: "GET",
    path: "/api/v1/admin/users",
    summary: "Every user, with when they joined and whether they are disabled (site administrators)",
    tag: "administration",
    access: { permission: "site.users", target: "site" },
    response: z.object({ users: z.array(ZSiteUser) }),
  }),
  updateSiteUser: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/admin/users/{id}",
    summary: "Disable a user (ends their sessions; their tokens stop working) or enable them again",
    tag: "administration",
    access: { permission: "site.users", target: "site" },
    params: ZIdParams,
    body: ZUpdateSiteUserRequest,
    response: ZSiteUser,
  }),
  listInvitations: defineEndpoint({
    method: "GET",
    path: "/api/v1/admin/invitations",
    summary: "Invitations not used or revoked yet, expired ones included (site administrators)",
    tag: "administration",
    access: { permission: "site.invitations", target: "site" },
    response: z.object({ invitations: z.array(ZInvitation) }),
  }),
  createInvitation: defineEndpoint({
    method: "POST",
    path: "/api/v1/admin/invitations",
    summary: "Invite an e-mail address; the answer holds the sign-up link, shown this once",
    tag: "administration",
    access: { permission: "site.invitations", target: "site" },
    status: 201,
    body: ZCreateInvitationRequest,
    response: z.object({ invitation: ZInvitation, url: z.string() }),
  }),
  revokeInvitation: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/admin/invitations/{id}",
    summary: "Revoke a pending invitation; its link stops working",
    tag: "administration",
    access: { permission: "site.invitations", target: "site" },
    params: ZIdParams,
    response: z.object({ revoked: z.literal(true) }),
  }),
};
