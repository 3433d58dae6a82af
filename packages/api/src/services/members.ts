/**
 * Project membership: invite an existing user by email, change roles, remove. A project always
 * keeps at least one admin, so nobody can lock everyone out.
 */
import type { PrismaClient } from "@flint/db";
import type { z } from "zod";
import { accessChanged } from "../access-cache.js";
import type { TMember, ZAddMemberRequest } from "../contract/members.js";
import { AppError } from "../errors.js";
import { PROJECT_ROLES, type TProjectRole } from "../permissions.js";
import { recordActivity } from "./activity.js";

const MEMBER_SELECT = {
  role: true,
  createdAt: true,
  user: { select: { id: true, email: true, name: true } },
} as const;

function toMember(row: {
  role: TProjectRole;
  createdAt: Date;
  user: { id: string; email: string; name: string };
}): TMember {
  return {
    userId: row.user.id,
    email: row.user.email,
    name: row.user.name,
    role: row.role,
    addedAt: row.createdAt.toISOString(),
  };
}

/** Lists a project's members, admins first. */
export async function listMembers(prisma: PrismaClient, projectId: string): Promise<TMember[]> {
  const rows = await prisma.projectMember.findMany({
    where: { projectId },
    select: MEMBER_SELECT,
    orderBy: { createdAt: "asc" },
  });
  const order = (role: TProjectRole) => -PROJECT_ROLES.indexOf(role);
  return rows.map(toMember).sort((a, b) => order(a.role) - order(b.role));
}

/** Adds an existing, active user to a project. */
export async function addMember(
  prisma: PrismaClient,
  projectId: string,
  actorId: string,
  input: z.infer<typeof ZAddMemberRequest>,
): Promise<TMember> {
  const user = await prisma.user.findUnique({
    where: { email: input.email.toLowerCase() },
    select: { id: true, disabledAt: true },
  });
  if (!user || user.disabledAt) {
    throw new AppError(
      "bad_request",
      `No active Flint account uses ${input.email}; ask them to sign up first.`,
    );
  }
  const existing = await prisma.projectMember.findUnique({
    where: { projectId_userId: { projectId, userId: user.id } },
    select: { role: true },
  });
  if (existing) {
    throw new AppError(
      "conflict",
      `${input.email} is already a member (${existing.role}); change their role instead.`,
    );
  }
  const row = await prisma.projectMember.create({
    data: { projectId, userId: user.id, role: input.role },
    select: MEMBER_SELECT,
  });
  await recordActivity(prisma, {
    projectId,
    actorId,
    kind: "member.added",
    subjectType: "user",
    subjectId: user.id,
    details: { name: row.user.name, role: input.role },
  });
  return toMember(row);
}

async function assertKeepsAnAdmin(prisma: PrismaClient, projectId: string, userId: string): Promise<void> {
  const admins = await prisma.projectMember.findMany({
    where: { projectId, role: "admin" },
    select: { userId: true },
  });
  if (admins.length === 1 && admins[0]?.userId === userId) {
    throw new AppError("conflict", "A project needs at least one admin: make someone else admin first.");
  }
}

/** Changes a member's role. */
export async function changeMemberRole(
  prisma: PrismaClient,
  projectId: string,
  actorId: string,
  userId: string,
  role: TProjectRole,
): Promise<TMember> {
  const member = await prisma.projectMember.findUnique({
    where: { projectId_userId: { projectId, userId } },
    select: { role: true },
  });
  if (!member) throw new AppError("not_found", "That user is not a member of this project.");
  if (member.role === "admin" && role !== "admin") await assertKeepsAnAdmin(prisma, projectId, userId);
  const row = await prisma.projectMember.update({
    where: { projectId_userId: { projectId, userId } },
    data: { role },
    select: MEMBER_SELECT,
  });
  // The member's open sockets take the new role at their next command (access-cache.ts).
  accessChanged();
  await recordActivity(prisma, {
    projectId,
    actorId,
    kind: "member.role_changed",
    subjectType: "user",
    subjectId: userId,
    details: { name: row.user.name, role },
  });
  return toMember(row);
}

/** Removes a member. */
export async function removeMember(
  prisma: PrismaClient,
  projectId: string,
  actorId: string,
  userId: string,
): Promise<void> {
  const member = await prisma.projectMember.findUnique({
    where: { projectId_userId: { projectId, userId } },
    select: { role: true, user: { select: { name: true } } },
  });
  if (!member) throw new AppError("not_found", "That user is not a member of this project.");
  if (member.role === "admin") await assertKeepsAnAdmin(prisma, projectId, userId);
  await prisma.projectMember.delete({ where: { projectId_userId: { projectId, userId } } });
  accessChanged();
  await recordActivity(prisma, {
    projectId,
    actorId,
    kind: "member.removed",
    subjectType: "user",
    subjectId: userId,
    details: { name: member.user.name },
  });
}
