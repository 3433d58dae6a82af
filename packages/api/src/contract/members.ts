/** A project's members and their roles. */
import { z } from "zod";
import { PROJECT_ROLES } from "../permissions";
import { ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

const ZMemberParams = z.object({ id: ZId, userId: ZId });
const MANAGE = { permission: "project.manage", target: { kind: "project", from: "params.id" } } as const;

export const ZRole = z.enum(PROJECT_ROLES);

export const ZAddMemberRequest = z.strictObject({
  email: z.email("not an email address").max(320),
  role: ZRole,
});

export const ZChangeRoleRequest = z.strictObject({ role: ZRole });

export const ZMember = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZRole,
  addedAt: z.string(),
});

export type TMember = z.infer<typeof ZMember>;

/** The members' endpoints. */
export const memberEndpoints = {
  listMembers: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/members",
    summary: "A project's members and their roles",
    tag: "projects",
    access: { permission: "project.read", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ members: z.array(ZMember) }),
  }),
  addMember: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/members",
    summary: "Invite an existing user by email with a role",
    tag: "projects",
    access: MANAGE,
    status: 201,
    params: ZIdParams,
    body: ZAddMemberRequest,
    response: ZMember,
  }),
  changeMemberRole: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/projects/{id}/members/{userId}",
    summary: "Change a member's role",
    tag: "projects",
    access: MANAGE,
    params: ZMemberParams,
    body: ZChangeRoleRequest,
    response: ZMember,
  }),
  removeMember: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/projects/{id}/members/{userId}",
    summary: "Remove a member",
    tag: "projects",
    access: MANAGE,
    params: ZMemberParams,
    response: z.object({ removed: z.literal(true) }),
  }),
};
