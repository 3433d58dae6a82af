/** Saved charts: the project's chart board and each chart's page. */
import { chartEndpoints as endpoints } from "../contract/charts.js";
import { implement, type TRoutesOf } from "../router.js";
import { createChart, getChart, listCharts, toPublicChart, updateChart } from "../services/charts.js";
import type { TRouteDeps } from "./deps.js";

/** The chart routes. */
export function createChartRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listCharts: implement(endpoints.listCharts, async ({ grant }) => ({
      charts: await listCharts(prisma, grant.projectId),
    })),
    createChart: implement(endpoints.createChart, async ({ actor, grant, body }) =>
      createChart(prisma, { ...body, projectId: grant.projectId, userId: actor.userId }),
    ),
    getChart: implement(endpoints.getChart, async ({ grant, params }) => {
      const chart = await getChart(prisma, params.id);
      // A public chart leaves out its source notebook and the %chart lineage.
      return grant.role === "public" ? toPublicChart(chart) : chart;
    }),
    updateChart: implement(endpoints.updateChart, async ({ params, body }) =>
      updateChart(prisma, params.id, body),
    ),
  };
}
