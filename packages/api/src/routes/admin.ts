/**
 * Who may join: the sign-up mode the sign-up page shows (`GET /api/v1/signup`), and the
 * administration of users and invitations (`/api/v1/admin/*`, site administrators only).
 */
import { adminEndpoints as endpoints } from "../contract/admin.js";
import { AppError, notFound } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import {
  createInvitation,
  describeSignUp,
  listPendingInvitations,
  revokeInvitation,
} from "../services/invitations.js";
import { listUsers, setUserDisabled } from "../services/users.js";
import type { TRouteDeps } from "./deps.js";

/** The routes of sign-up and administration. */
export function createAdminRoutes({ prisma, config }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    getSignUpStatus: implement(endpoints.getSignUpStatus, async ({ query }) =>
      describeSignUp(prisma, config.signUpMode, query.invite),
    ),
    listSiteUsers: implement(endpoints.listSiteUsers, async () => ({ users: await listUsers(prisma) })),
    updateSiteUser: implement(endpoints.updateSiteUser, async ({ actor, params, body }) => {
      // An administrator who disabled themself would be signed out with nobody left to undo it.
      if (body.disabled && params.id === actor.userId)
        throw new AppError("bad_request", "You cannot disable your own account; ask another administrator.");
      const user = await setUserDisabled(prisma, params.id, body.disabled);
      if (!user) throw notFound("User");
      return user;
    }),
    listInvitations: implement(endpoints.listInvitations, async () => ({
      invitations: await listPendingInvitations(prisma),
    })),
    createInvitation: implement(endpoints.createInvitation, async ({ actor, body }) =>
      createInvitation(prisma, actor.userId, body, config.publicUrl),
    ),
    revokeInvitation: implement(endpoints.revokeInvitation, async ({ params }) => {
      await revokeInvitation(prisma, params.id);
      return { revoked: true as const };
    }),
  };
}
