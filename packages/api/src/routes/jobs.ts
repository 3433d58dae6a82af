/** Jobs and their runs. */
import { jobEndpoints as endpoints } from "../contract/jobs.js";
import { implement, type TRoutesOf } from "../router.js";
import {
  createJob,
  deleteJob,
  getJob,
  getJobRun,
  listJobs,
  requestRun,
  updateJob,
} from "../services/jobs.js";
import type { TRouteDeps } from "./deps.js";

/** The job routes. */
export function createJobRoutes({ prisma, getJobs }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listProjectJobs: implement(endpoints.listProjectJobs, async ({ actor, grant, params }) => ({
      jobs: await listJobs(prisma, params.id, { userId: actor.userId, role: grant.role }),
    })),
    createJob: implement(endpoints.createJob, async ({ actor, grant, body }) =>
      createJob(prisma, { userId: actor.userId, role: grant.role, grant }, body),
    ),
    getJob: implement(endpoints.getJob, async ({ actor, grant, params }) =>
      getJob(prisma, params.id, { userId: actor.userId, role: grant.role }),
    ),
    updateJob: implement(endpoints.updateJob, async ({ actor, grant, params, body }) =>
      updateJob(prisma, params.id, { userId: actor.userId, role: grant.role }, body),
    ),
    deleteJob: implement(endpoints.deleteJob, async ({ actor, grant, params }) => {
      await deleteJob(prisma, params.id, { userId: actor.userId, role: grant.role });
      return { deleted: true as const };
    }),
    runJob: implement(endpoints.runJob, async ({ actor, params, body }) =>
      requestRun(prisma, getJobs(), params.id, actor.userId, body.parameters),
    ),
    getJobRun: implement(endpoints.getJobRun, async ({ params }) => getJobRun(prisma, params.id)),
  };
}
