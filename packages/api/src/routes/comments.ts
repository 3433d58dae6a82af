/** Comment threads on notebook cells and charts, and notifications of mentions. */
import { authorize } from "../authorize.js";
import { commentEndpoints as endpoints } from "../contract/comments.js";
import { implement, type TRoutesOf } from "../router.js";
import {
  createComment,
  listNotifications,
  listThreads,
  markNotificationsRead,
  updateComment,
} from "../services/comments.js";
import type { TRouteDeps } from "./deps.js";

/** The comment routes. */
export function createCommentRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listNotebookComments: implement(endpoints.listNotebookComments, async ({ params }) => ({
      threads: await listThreads(prisma, { notebookId: params.id }),
    })),
    createNotebookComment: implement(
      endpoints.createNotebookComment,
      async ({ actor, grant, params, body }) =>
        createComment(prisma, {
          projectId: grant.projectId,
          authorId: actor.userId,
          subject: { notebookId: params.id },
          ...body,
        }),
    ),
    listChartComments: implement(endpoints.listChartComments, async ({ params }) => ({
      threads: await listThreads(prisma, { chartId: params.id }),
    })),
    createChartComment: implement(endpoints.createChartComment, async ({ actor, grant, params, body }) =>
      createComment(prisma, {
        projectId: grant.projectId,
        authorId: actor.userId,
        subject: { chartId: params.id },
        ...body,
      }),
    ),
    updateComment: implement(endpoints.updateComment, async ({ actor, params, body }) => {
      const comment = await prisma.comment.findUnique({
        where: { id: params.id },
        select: { notebookId: true, chartId: true },
      });
      // The comment's own subject decides the permission; unknown ids fall through to 404.
      const target = comment?.chartId
        ? ({ kind: "chart", id: comment.chartId } as const)
        : ({ kind: "comment", id: params.id } as const);
      await authorize(prisma, actor, target, target.kind === "chart" ? "chart.comment" : "notebook.comment");
      return await updateComment(prisma, { commentId: params.id, actorId: actor.userId, ...body });
    }),
    listNotifications: implement(endpoints.listNotifications, async ({ actor }) => {
      const notifications = await listNotifications(prisma, actor.userId);
      return { notifications, unread: notifications.filter((notification) => !notification.read).length };
    }),
    markNotificationsRead: implement(endpoints.markNotificationsRead, async ({ actor }) => ({
      marked: await markNotificationsRead(prisma, actor.userId),
    })),
  };
}
