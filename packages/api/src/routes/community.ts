/**
 * Routes for collaboration: comments and notifications, saved charts, publishing, stars, forks
 * and the community list. Each handler authorizes through `authorize` like every other route.
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { authorize } from "../authorize.js";
import {
  MAX_CHART_BYTES,
  ZChart,
  ZChartSummary,
  ZCreateChartRequest,
  ZUpdateChartRequest,
} from "../contract/charts.js";
import {
  ZComment,
  ZCreateCommentRequest,
  ZNotification,
  ZThread,
  ZUpdateCommentRequest,
} from "../contract/comments.js";
import { ZCommunityItem, ZCommunityQuery, ZForkRequest, ZPublishedNotebook } from "../contract/community.js";
import { ZActivity } from "../contract/projects.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import { listActivity } from "../services/activity.js";
import { createChart, getChart, listCharts, toPublicChart, updateChart } from "../services/charts.js";
import {
  createComment,
  listNotifications,
  listThreads,
  markNotificationsRead,
  updateComment,
} from "../services/comments.js";
import {
  forkNotebook,
  getPublishedNotebook,
  getStar,
  listCommunity,
  setPublished,
  setStar,
} from "../services/community.js";

const ZId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");
const ZIdParams = z.object({ id: ZId });

/** Collaboration routes. */
export function createCommunityRoutes(prisma: PrismaClient): TAnyRoute[] {
  const subjects = [
    { type: "notebook", label: "notebook", key: "notebookId" },
    { type: "chart", label: "chart", key: "chartId" },
  ] as const;
  const perSubject = subjects.flatMap(({ type, label, key }) => [
    defineRoute({
      method: "GET",
      path: `/api/v1/${type}s/{id}/comments`,
      summary: `The comment threads on a ${label}`,
      tag: "comments",
      auth: "user",
      params: ZIdParams,
      response: z.object({ threads: z.array(ZThread) }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.comment`);
        const subject = key === "notebookId" ? { notebookId: params.id } : { chartId: params.id };
        return { threads: await listThreads(prisma, subject) };
      },
    }),
    defineRoute({
      method: "POST",
      path: `/api/v1/${type}s/{id}/comments`,
      summary: `Start a thread on a ${label}${type === "notebook" ? "'s cell" : ""}, or reply to one; @Name, @handle or a picked <@userId> mentions a member`,
      tag: "comments",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZCreateCommentRequest,
      response: ZComment,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.comment`);
        const subject = key === "notebookId" ? { notebookId: params.id } : { chartId: params.id };
        const comment = await createComment(prisma, {
          projectId: grant.projectId,
          authorId: actor!.userId,
          subject,
          ...body,
        });
        return comment;
      },
    }),
    defineRoute({
      method: "POST",
      path: `/api/v1/${type}s/{id}/publish`,
      summary:
        type === "notebook"
          ? "Publish a notebook read-only to the community (project admins): a snapshot of its sources and outputs now, which later edits do not change; publishing again replaces it"
          : "Publish a chart read-only to the community (project admins)",
      tag: "community",
      auth: "user",
      params: ZIdParams,
      response: z.object({ published: z.boolean() }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.publish`);
        return await setPublished(prisma, {
          type,
          id: params.id,
          projectId: grant.projectId,
          actorId: actor!.userId,
          isPublished: true,
        });
      },
    }),
    defineRoute({
      method: "DELETE",
      path: `/api/v1/${type}s/{id}/publish`,
      summary: `Unpublish a ${label}`,
      tag: "community",
      auth: "user",
      params: ZIdParams,
      response: z.object({ published: z.boolean() }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.publish`);
        return await setPublished(prisma, {
          type,
          id: params.id,
          projectId: grant.projectId,
          actorId: actor!.userId,
          isPublished: false,
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: `/api/v1/${type}s/{id}/star`,
      summary: `Whether you starred a ${label} you can read, and its star count`,
      tag: "community",
      auth: "user",
      params: ZIdParams,
      response: z.object({ starred: z.boolean(), stars: z.number().int() }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.read`);
        return await getStar(prisma, { type, id: params.id, userId: actor!.userId });
      },
    }),
    ...(["POST", "DELETE"] as const).map((method) =>
      defineRoute({
        method,
        path: `/api/v1/${type}s/{id}/star`,
        summary: `${method === "POST" ? "Star" : "Unstar"} a ${label} you can read`,
        tag: "community",
        auth: "user",
        params: ZIdParams,
        response: z.object({ starred: z.boolean(), stars: z.number().int() }),
        handler: async ({ actor, params }) => {
          await authorize(prisma, actor, { kind: type, id: params.id }, `${type}.read`);
          return await setStar(prisma, {
            type,
            id: params.id,
            userId: actor!.userId,
            isStarred: method === "POST",
          });
        },
      }),
    ),
  ]);
  return [
    ...perSubject,
    defineRoute({
      method: "PATCH",
      path: "/api/v1/comments/{id}",
      summary: "Edit your own comment, or resolve/reopen a thread",
      tag: "comments",
      auth: "user",
      params: ZIdParams,
      body: ZUpdateCommentRequest,
      response: ZComment,
      handler: async ({ actor, params, body }) => {
        const comment = await prisma.comment.findUnique({
          where: { id: params.id },
          select: { notebookId: true, chartId: true },
        });
        // The comment's own subject decides the permission; unknown ids fall through to 404.
        const target = comment?.chartId
          ? ({ kind: "chart", id: comment.chartId } as const)
          : ({ kind: "comment", id: params.id } as const);
        await authorize(
          prisma,
          actor,
          target,
          target.kind === "chart" ? "chart.comment" : "notebook.comment",
        );
        return await updateComment(prisma, { commentId: params.id, actorId: actor!.userId, ...body });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/notifications",
      summary: "Your notifications (mentions), newest first",
      tag: "comments",
      auth: "user",
      response: z.object({ notifications: z.array(ZNotification), unread: z.number().int() }),
      handler: async ({ actor }) => {
        const notifications = await listNotifications(prisma, actor!.userId);
        return { notifications, unread: notifications.filter((notification) => !notification.read).length };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notifications/read",
      summary: "Mark all your notifications read",
      tag: "comments",
      auth: "user",
      body: z.strictObject({}),
      response: z.object({ marked: z.number().int() }),
      handler: async ({ actor }) => ({ marked: await markNotificationsRead(prisma, actor!.userId) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/me/activity",
      summary: "Your activity across the projects you are in, newest first",
      tag: "projects",
      auth: "user",
      query: z.object({
        limit: z.coerce.number().int().min(1).max(100).default(30),
        before: z.string().max(200).optional(),
      }),
      response: z.object({ items: z.array(ZActivity), nextCursor: z.string().nullable() }),
      handler: async ({ actor, query }) =>
        await listActivity(prisma, { actorId: actor!.userId, visibleTo: actor!.userId }, query),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/charts",
      summary: "The project's chart board: pinned first, then in board order",
      tag: "charts",
      auth: "user",
      params: ZIdParams,
      response: z.object({ charts: z.array(ZChartSummary) }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.read");
        return { charts: await listCharts(prisma, grant.projectId) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/charts",
      summary: "Save a chart (spec with inline data) to the project",
      tag: "charts",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZCreateChartRequest,
      maxBodyBytes: MAX_CHART_BYTES,
      response: ZChart,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "chart.create");
        return await createChart(prisma, { ...body, projectId: grant.projectId, userId: actor!.userId });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/charts/{id}",
      summary: "A saved chart with its spec (anyone may read a published chart)",
      tag: "charts",
      auth: "public",
      params: ZIdParams,
      response: ZChart,
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "chart", id: params.id }, "chart.read");
        const chart = await getChart(prisma, params.id);
        return grant.role === "public" ? toPublicChart(chart) : chart;
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/charts/{id}",
      summary: "Rename, describe, pin or move a chart on the board",
      tag: "charts",
      auth: "user",
      params: ZIdParams,
      body: ZUpdateChartRequest,
      response: ZChart,
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, { kind: "chart", id: params.id }, "chart.edit");
        return await updateChart(prisma, params.id, body);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/fork",
      summary:
        "Copy a notebook you can read (e.g. a published one) into a project you edit, or into a new project of yours",
      tag: "community",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZForkRequest,
      response: z.object({
        id: z.string(),
        projectId: z.string(),
        name: z.string(),
        forkedFromId: z.string(),
      }),
      handler: async ({ actor, params, body }) => {
        const source = await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.read");
        // Any signed-in user may create a project (POST /projects); an existing one needs notebook.create.
        const target = body.newProject
          ? { newProject: body.newProject }
          : {
              projectId: (
                await authorize(
                  prisma,
                  actor,
                  { kind: "project", id: body.projectId ?? "" },
                  "notebook.create",
                )
              ).projectId,
            };
        return await forkNotebook(prisma, {
          notebookId: params.id,
          target,
          userId: actor!.userId,
          name: body.name,
          // Outsiders copy what they can read: the published snapshot, not the live notebook.
          from: source.role === "public" ? "published" : "live",
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/notebooks/{id}/published",
      summary:
        "A published notebook as the community sees it: the snapshot taken when it was last published (no sign-in needed)",
      tag: "community",
      auth: "public",
      params: ZIdParams,
      response: ZPublishedNotebook,
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.read");
        return await getPublishedNotebook(prisma, params.id);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/community",
      summary: "Published notebooks and charts, searchable, by stars or most recent (no sign-in needed)",
      tag: "community",
      auth: "public",
      query: ZCommunityQuery,
      response: z.object({ items: z.array(ZCommunityItem) }),
      handler: async ({ query }) => ({ items: await listCommunity(prisma, query) }),
    }),
  ];
}
