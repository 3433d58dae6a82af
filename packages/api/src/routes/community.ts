/** Publishing notebooks and charts, stars, forks and the community list. */
import { authorize } from "../authorize.js";
import { communityEndpoints as endpoints } from "../contract/community.js";
import { implement, type TRoutesOf } from "../router.js";
import { flushThen } from "../services/collab-store.js";
import {
  forkNotebook,
  getPublishedNotebook,
  getStar,
  listCommunity,
  setPublished,
  setStar,
} from "../services/community.js";
import type { TRouteDeps } from "./deps.js";

/** The community routes. */
export function createCommunityRoutes({ prisma, collab }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    publishNotebook: implement(endpoints.publishNotebook, async ({ actor, grant, params }) =>
      flushThen(collab, params.id, () =>
        setPublished(prisma, {
          type: "notebook",
          id: params.id,
          projectId: grant.projectId,
          actorId: actor.userId,
          isPublished: true,
        }),
      ),
    ),
    unpublishNotebook: implement(endpoints.unpublishNotebook, async ({ actor, grant, params }) =>
      setPublished(prisma, {
        type: "notebook",
        id: params.id,
        projectId: grant.projectId,
        actorId: actor.userId,
        isPublished: false,
      }),
    ),
    getNotebookStar: implement(endpoints.getNotebookStar, async ({ actor, params }) =>
      getStar(prisma, { type: "notebook", id: params.id, userId: actor.userId }),
    ),
    starNotebook: implement(endpoints.starNotebook, async ({ actor, params }) =>
      setStar(prisma, { type: "notebook", id: params.id, userId: actor.userId, isStarred: true }),
    ),
    unstarNotebook: implement(endpoints.unstarNotebook, async ({ actor, params }) =>
      setStar(prisma, { type: "notebook", id: params.id, userId: actor.userId, isStarred: false }),
    ),
    publishChart: implement(endpoints.publishChart, async ({ actor, grant, params }) =>
      setPublished(prisma, {
        type: "chart",
        id: params.id,
        projectId: grant.projectId,
        actorId: actor.userId,
        isPublished: true,
      }),
    ),
    unpublishChart: implement(endpoints.unpublishChart, async ({ actor, grant, params }) =>
      setPublished(prisma, {
        type: "chart",
        id: params.id,
        projectId: grant.projectId,
        actorId: actor.userId,
        isPublished: false,
      }),
    ),
    getChartStar: implement(endpoints.getChartStar, async ({ actor, params }) =>
      getStar(prisma, { type: "chart", id: params.id, userId: actor.userId }),
    ),
    starChart: implement(endpoints.starChart, async ({ actor, params }) =>
      setStar(prisma, { type: "chart", id: params.id, userId: actor.userId, isStarred: true }),
    ),
    unstarChart: implement(endpoints.unstarChart, async ({ actor, params }) =>
      setStar(prisma, { type: "chart", id: params.id, userId: actor.userId, isStarred: false }),
    ),
    forkNotebook: implement(endpoints.forkNotebook, async ({ actor, grant, params, body }) => {
      // Any signed-in user may create a project (POST /projects); an existing one needs notebook.create.
      const target = body.newProject
        ? { newProject: body.newProject }
        : {
            projectId: (
              await authorize(prisma, actor, { kind: "project", id: body.projectId ?? "" }, "notebook.create")
            ).projectId,
          };
      return await forkNotebook(prisma, {
        notebookId: params.id,
        target,
        userId: actor.userId,
        name: body.name,
        // Outsiders copy what they can read: the published snapshot, not the live notebook.
        from: grant.role === "public" ? "published" : "live",
      });
    }),
    getPublishedNotebook: implement(endpoints.getPublishedNotebook, async ({ params }) =>
      getPublishedNotebook(prisma, params.id),
    ),
    listCommunity: implement(endpoints.listCommunity, async ({ query }) => ({
      items: await listCommunity(prisma, query),
    })),
  };
}
