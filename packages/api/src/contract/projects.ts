/** Projects, their activity feed, and what the caller may do in them. */
import { z } from "zod";
import { ZIdParams, ZPageQuery, ZPermissions } from "./common";
import { defineEndpoint } from "./endpoint";

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
  permissions: ZPermissions,
});

export type TProject = z.infer<typeof ZProject>;

export const ZUpdateProjectRequest = z
  .strictObject({
    name: ZProjectName.optional(),
    description: z.string().max(5000).optional(),
    archived: z.boolean().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, "send at least one of name, description, archived");

export const ZActivity = z.object({
  id: z.string(),
  kind: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  details: z.record(z.string(), z.unknown()),
  actor: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.string(),
});

export type TActivity = z.infer<typeof ZActivity>;

/** The projects' endpoints. */
export const projectEndpoints = {
  listProjects: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects",
    summary: "Projects you are a member of",
    tag: "projects",
    access: "user",
    response: z.object({ projects: z.array(ZProject) }),
  }),
  createProject: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects",
    summary: "Create a project; you become its admin",
    tag: "projects",
    access: { permission: "project.create", target: "site" },
    status: 201,
    body: ZCreateProjectRequest,
    response: ZProject,
  }),
  getProject: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}",
    summary: "One project",
    tag: "projects",
    access: { permission: "project.read", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    response: ZProject,
  }),
  updateProject: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/projects/{id}",
    summary: "Rename, describe, archive or unarchive a project",
    tag: "projects",
    access: { permission: "project.manage", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    body: ZUpdateProjectRequest,
    response: ZProject,
  }),
  listProjectActivity: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/activity",
    summary: "A project's activity feed, newest first, paged",
    tag: "projects",
    access: { permission: "project.read", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    query: ZPageQuery,
    response: z.object({ items: z.array(ZActivity), nextCursor: z.string().nullable() }),
  }),
  listMyActivity: defineEndpoint({
    method: "GET",
    path: "/api/v1/me/activity",
    summary: "Your activity across the projects you are in, newest first",
    tag: "projects",
    access: "user",
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(30),
      before: z.string().max(200).optional(),
    }),
    response: z.object({ items: z.array(ZActivity), nextCursor: z.string().nullable() }),
  }),
};
