/**
 * Projects: the records notebooks, assets and charts hang on. The creator is the project's admin.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import { z } from "zod";
import type { TProjectRole } from "../permissions.js";
import { recordActivity } from "./activity.js";

export const ZProjectName = z.string().trim().min(1, "a project needs a name").max(120);

export const ZCreateProjectRequest = z.strictObject({
  name: ZProjectName,
  description: z.string().max(5000).default(""),
});
export type TCreateProjectRequest = z.infer<typeof ZCreateProjectRequest>;

export const ZProject = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  role: z.enum(["viewer", "runner", "editor", "admin"]),
  notebookCount: z.number().int(),
  archived: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TProject = z.infer<typeof ZProject>;

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

export const ZUpdateProjectRequest = z
  .strictObject({
    name: ZProjectName.optional(),
    description: z.string().max(5000).optional(),
    archived: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, "send at least one of name, description, archived");

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
