/**
 * Projects: the records notebooks, assets and charts hang on. The creator is the project's admin.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { z } from "zod";
import type { TCreateProjectRequest, TProject, ZUpdateProjectRequest } from "../contract/projects.js";
import { describePermissions, type TProjectRole } from "../permissions.js";
import { recordActivity } from "./activity.js";

const PROJECT_SELECT = {
  id: true,
  name: true,
  description: true,
  archivedAt: true,
  createdAt: true,
  updatedAt: true,
  _count: { select: { notebooks: true } },
} as const;

type TProjectRow = {
  id: string;
  name: string;
  description: string;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  _count: { notebooks: number };
};

function toProject(row: TProjectRow, role: TProjectRole): TProject {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    role,
    notebookCount: row._count.notebooks,
    archived: row.archivedAt !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    // As a browser session sees it; routes narrow it to a token's scope (routes/projects.ts).
    permissions: describePermissions(role),
  };
}

/** Lists the projects `userId` is a member of, most recently updated first. */
export async function listProjects(prisma: PrismaClient, userId: string): Promise<TProject[]> {
  const memberships = await prisma.projectMember.findMany({
    where: { userId },
    select: { role: true, project: { select: PROJECT_SELECT } },
    orderBy: { project: { updatedAt: "desc" } },
  });
  return memberships.map((membership) => toProject(membership.project, membership.role));
}

/** Creates a project with `userId` as its admin, in one transaction. */
export async function createProject(
  prisma: PrismaClient,
  userId: string,
  input: TCreateProjectRequest,
): Promise<TProject> {
  return await prisma.$transaction(async (tx) => await createProjectIn(tx, userId, input));
}

/**
 * Creates a project with `userId` as its admin inside the caller's transaction, for work that
 * must create a project together with something in it (a fork into a new project).
 */
export async function createProjectIn(
  tx: Prisma.TransactionClient,
  userId: string,
  input: TCreateProjectRequest,
): Promise<TProject> {
  const project = await tx.project.create({
    data: {
      name: input.name,
      description: input.description,
      createdById: userId,
      members: { create: { userId, role: "admin" } },
    },
    select: PROJECT_SELECT,
  });
  await recordActivity(tx, {
    projectId: project.id,
    actorId: userId,
    kind: "project.created",
    subjectType: "project",
    subjectId: project.id,
    details: { name: project.name },
  });
  return toProject(project, "admin");
}

/** Renames, describes, archives or unarchives a project. */
export async function updateProject(
  prisma: PrismaClient,
  projectId: string,
  actorId: string,
  role: TProjectRole,
  input: z.infer<typeof ZUpdateProjectRequest>,
): Promise<TProject> {
  const project = await prisma.project.update({
    where: { id: projectId },
    data: {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.archived !== undefined ? { archivedAt: input.archived ? new Date() : null } : {}),
    },
    select: PROJECT_SELECT,
  });
  await recordActivity(prisma, {
    projectId,
    actorId,
    kind: "project.updated",
    subjectType: "project",
    subjectId: projectId,
    details: { name: project.name, ...input },
  });
  return toProject(project, role);
}

/** Reads one project; the caller must have been authorized for it. */
export async function getProject(
  prisma: PrismaClient,
  projectId: string,
  role: TProjectRole,
): Promise<TProject> {
  const project = await prisma.project.findUniqueOrThrow({
    where: { id: projectId },
    select: PROJECT_SELECT,
  });
  return toProject(project, role);
}
