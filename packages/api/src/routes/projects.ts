/** Projects and their activity feeds. */
import type { TActor } from "../authorize.js";
import { memberRole } from "../authorize.js";
import { projectEndpoints as endpoints, type TProject } from "../contract/projects.js";
import { describePermissions } from "../permissions.js";
import { implement, type TRoutesOf } from "../router.js";
import { listActivity } from "../services/activity.js";
import { createProject, getProject, listProjects, updateProject } from "../services/projects.js";
import type { TRouteDeps } from "./deps.js";

/** A project as `actor` sees it: what they may do narrowed to their credential's scope. */
function forCaller(project: TProject, actor: TActor): TProject {
  return { ...project, permissions: describePermissions(project.role, actor.scope) };
}

/** The project routes. */
export function createProjectRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listProjects: implement(endpoints.listProjects, async ({ actor }) => ({
      projects: (await listProjects(prisma, actor.userId)).map((project) => forCaller(project, actor)),
    })),
    createProject: implement(endpoints.createProject, async ({ actor, body }) =>
      forCaller(await createProject(prisma, actor.userId, body), actor),
    ),
    getProject: implement(endpoints.getProject, async ({ actor, grant }) =>
      forCaller(await getProject(prisma, grant.projectId, memberRole(grant)), actor),
    ),
    updateProject: implement(endpoints.updateProject, async ({ actor, grant, body }) =>
      forCaller(await updateProject(prisma, grant.projectId, actor.userId, memberRole(grant), body), actor),
    ),
    listProjectActivity: implement(endpoints.listProjectActivity, async ({ grant, query }) =>
      listActivity(prisma, { projectId: grant.projectId }, query),
    ),
    listMyActivity: implement(endpoints.listMyActivity, async ({ actor, query }) =>
      listActivity(prisma, { actorId: actor.userId, visibleTo: actor.userId }, query),
    ),
  };
}
