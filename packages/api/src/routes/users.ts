/**
 * Who may join: the sign-up mode the sign-up page shows (`GET /api/v1/signup`), and the
 * administration of users and invitations (`/api/v1/admin/*`, site administrators only).
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { authorize } from "../authorize.js";
import type { TConfig } from "../config.js";
import {
  ZCreateInvitationRequest,
  ZInvitation,
  ZSignUpStatus,
  ZSiteUser,
  ZUpdateSiteUserRequest,
} from "../contract/admin.js";
import { AppError, notFound } from "../errors.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import {
  createInvitation,
  describeSignUp,
  listPendingInvitations,
  revokeInvitation,
} from "../services/invitations.js";
import { listUsers, setUserDisabled } from "../services/users.js";

const ZIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, "not a valid id"),
});

/** The routes of sign-up and administration. */
export function createUserRoutes(deps: { prisma: PrismaClient; config: TConfig }): TAnyRoute[] {
  const { prisma, config } = deps;
  const site = { kind: "site" } as const;
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/signup",
      summary: "Whether sign-up is open, needs an invitation or is closed; and the link's invitation",
      tag: "account",
      auth: "public",
      query: z.object({
        invite: z
          .string()
          .max(200)
          .optional()
          .describe("The secret of an invitation link (`/signup?invite=`)."),
      }),
      response: ZSignUpStatus,
      handler: async ({ query }) => await describeSignUp(prisma, config.signUpMode, query.invite),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/admin/users",
      summary: "Every user, with when they joined and whether they are disabled (site administrators)",
      tag: "administration",
      auth: "user",
      response: z.object({ users: z.array(ZSiteUser) }),
      handler: async ({ actor }) => {
        await authorize(prisma, actor, site, "site.users");
        return { users: await listUsers(prisma) };
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/admin/users/{id}",
      summary: "Disable a user (ends their sessions; their tokens stop working) or enable them again",
      tag: "administration",
      auth: "user",
      params: ZIdParams,
      body: ZUpdateSiteUserRequest,
      response: ZSiteUser,
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, site, "site.users");
        // An administrator who disabled themself would be signed out with nobody left to undo it.
        if (body.disabled && params.id === actor!.userId)
          throw new AppError(
            "bad_request",
            "You cannot disable your own account; ask another administrator.",
          );
        const user = await setUserDisabled(prisma, params.id, body.disabled);
        if (!user) throw notFound("User");
        return user;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/admin/invitations",
      summary: "Invitations not used or revoked yet, expired ones included (site administrators)",
      tag: "administration",
      auth: "user",
      response: z.object({ invitations: z.array(ZInvitation) }),
      handler: async ({ actor }) => {
        await authorize(prisma, actor, site, "site.invitations");
        return { invitations: await listPendingInvitations(prisma) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/admin/invitations",
      summary: "Invite an e-mail address; the answer holds the sign-up link, shown this once",
      tag: "administration",
      auth: "user",
      status: 201,
      body: ZCreateInvitationRequest,
      response: z.object({ invitation: ZInvitation, url: z.string() }),
      handler: async ({ actor, body }) => {
        await authorize(prisma, actor, site, "site.invitations");
        return await createInvitation(prisma, actor!.userId, body, config.publicUrl);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/admin/invitations/{id}",
      summary: "Revoke a pending invitation; its link stops working",
      tag: "administration",
      auth: "user",
      params: ZIdParams,
      response: z.object({ revoked: z.literal(true) }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, site, "site.invitations");
        await revokeInvitation(prisma, params.id);
        return { revoked: true as const };
      },
    }),
  ];
}
