/** Publishing, stars, forks and the community list. */
import { z } from "zod";
import { ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";
import { ZNbformatJson } from "./notebooks";
import { ZCreateProjectRequest } from "./projects";

/** Whether you starred an item, and its star count. */
export const ZStar = z.object({ starred: z.boolean(), stars: z.number().int() });

export const ZSubjectType = z.enum(["notebook", "chart"]);

export type TSubjectType = z.infer<typeof ZSubjectType>;

/** A published notebook as the community sees it: the snapshot taken when it was published. */
export const ZPublishedNotebook = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int().describe("The notebook version that was published."),
  author: z.string(),
  projectName: z.string(),
  publishedAt: z.string(),
  notebook: ZNbformatJson,
});

export type TPublishedNotebook = z.infer<typeof ZPublishedNotebook>;

export const ZCommunityItem = z.object({
  type: ZSubjectType,
  id: z.string(),
  title: z.string(),
  description: z.string(),
  author: z.string(),
  projectName: z.string(),
  stars: z.number().int(),
  publishedAt: z.string(),
});

export type TCommunityItem = z.infer<typeof ZCommunityItem>;

export const ZCommunityQuery = z.object({
  q: z.string().trim().max(200).optional(),
  sort: z.enum(["stars", "recent"]).default("recent"),
  type: ZSubjectType.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

/**
 * Where a fork goes: a project the caller edits (`projectId`), or a new project of theirs
 * (`newProject`), created with the copy, so a user with no project yet can fork in one step.
 */
export const ZForkRequest = z
  .strictObject({
    projectId: ZId.optional().describe("A project you can create notebooks in."),
    newProject: ZCreateProjectRequest.optional().describe("Create this project (you become its admin)."),
    name: z.string().trim().min(1).max(200).optional().describe("Default: the notebook's name + (fork)."),
  })
  .refine(
    (value) => (value.projectId === undefined) !== (value.newProject === undefined),
    "send either projectId (an existing project) or newProject (a project to create), not both",
  );

/** The community's endpoints. */
export const communityEndpoints = {
  publishNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/publish",
    summary:
      "Publish a notebook read-only to the community (project admins): a snapshot of its sources and outputs now, which later edits do not change; publishing again replaces it",
    tag: "community",
    access: { permission: "notebook.publish", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ published: z.boolean() }),
  }),
  unpublishNotebook: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/notebooks/{id}/publish",
    summary: "Unpublish a notebook",
    tag: "community",
    access: { permission: "notebook.publish", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ published: z.boolean() }),
  }),
  getNotebookStar: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/star",
    summary: "Whether you starred a notebook you can read, and its star count",
    tag: "community",
    access: { permission: "notebook.read", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  starNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/star",
    summary: "Star a notebook you can read",
    tag: "community",
    access: { permission: "notebook.read", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  unstarNotebook: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/notebooks/{id}/star",
    summary: "Unstar a notebook you can read",
    tag: "community",
    access: { permission: "notebook.read", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  publishChart: defineEndpoint({
    method: "POST",
    path: "/api/v1/charts/{id}/publish",
    summary: "Publish a chart read-only to the community (project admins)",
    tag: "community",
    access: { permission: "chart.publish", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ published: z.boolean() }),
  }),
  unpublishChart: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/charts/{id}/publish",
    summary: "Unpublish a chart",
    tag: "community",
    access: { permission: "chart.publish", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ published: z.boolean() }),
  }),
  getChartStar: defineEndpoint({
    method: "GET",
    path: "/api/v1/charts/{id}/star",
    summary: "Whether you starred a chart you can read, and its star count",
    tag: "community",
    access: { permission: "chart.read", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  starChart: defineEndpoint({
    method: "POST",
    path: "/api/v1/charts/{id}/star",
    summary: "Star a chart you can read",
    tag: "community",
    access: { permission: "chart.read", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  unstarChart: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/charts/{id}/star",
    summary: "Unstar a chart you can read",
    tag: "community",
    access: { permission: "chart.read", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    response: ZStar,
  }),
  forkNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/fork",
    summary:
      "Copy a notebook you can read (e.g. a published one) into a project you edit, or into a new project of yours",
    tag: "community",
    // Signed in (no `anonymous`); the target project's notebook.create is checked by the handler,
    // as it is absent when the fork makes a new project.
    access: { permission: "notebook.read", target: { kind: "notebook", from: "params.id" } },
    status: 201,
    params: ZIdParams,
    body: ZForkRequest,
    response: z.object({
      id: z.string(),
      projectId: z.string(),
      name: z.string(),
      forkedFromId: z.string(),
    }),
  }),
  getPublishedNotebook: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/published",
    summary:
      "A published notebook as the community sees it: the snapshot taken when it was last published (no sign-in needed)",
    tag: "community",
    access: { permission: "notebook.read", target: { kind: "notebook", from: "params.id" }, anonymous: true },
    params: ZIdParams,
    response: ZPublishedNotebook,
  }),
  listCommunity: defineEndpoint({
    method: "GET",
    path: "/api/v1/community",
    summary: "Published notebooks and charts, searchable, by stars or most recent (no sign-in needed)",
    tag: "community",
    access: "public",
    query: ZCommunityQuery,
    response: z.object({ items: z.array(ZCommunityItem) }),
  }),
};
