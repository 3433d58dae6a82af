/** A project's members and their roles. */
import { memberEndpoints as endpoints } from "../contract/members.js";
import { implement, type TRoutesOf } from "../router.js";
import { addMember, changeMemberRole, listMembers, removeMember } from "../services/members.js";
import type { TRouteDeps } from "./deps.js";

/** The member routes. */
export function createMemberRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listMembers: implement(endpoints.listMembers, async ({ grant }) => ({
      members: await listMembers(prisma, grant.projectId),
    })),
    addMember: implement(endpoints.addMember, async ({ actor, grant, body }) =>
      addMember(prisma, grant.projectId, actor.userId, body),
    ),
    changeMemberRole: implement(endpoints.changeMemberRole, async ({ actor, grant, params, body }) =>
      changeMemberRole(prisma, grant.projectId, actor.userId, params.userId, body.role),
    ),
    removeMember: implement(endpoints.removeMember, async ({ actor, grant, params }) => {
      await removeMember(prisma, grant.projectId, actor.userId, params.userId);
      return { removed: true as const };
    }),
  };
}
