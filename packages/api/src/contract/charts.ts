/** Saved charts: a project's chart board and each chart's page. */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** Largest saved spec: charts keep aggregated data inline, not raw tables. */
export const MAX_CHART_BYTES = 5_000_000;

export const ZCreateChartRequest = z.strictObject({
  title: z.string().trim().min(1, "a chart needs a title").max(200),
  description: z.string().max(5000).default(""),
  spec: z.record(z.string(), z.unknown()).describe("A Vega-Lite (v5/v6) or Vega spec with inline data."),
  sourceNotebookId: z.string().max(64).optional(),
  sourceCellId: z.string().max(64).optional(),
});

export const ZUpdateChartRequest = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    pinned: z.boolean().optional(),
    position: z.number().finite().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, "send at least one field to change");

export const ZChartSummary = z.object({
  id: z.string(),
  projectId: z.string(),
  title: z.string(),
  description: z.string(),
  author: z.string(),
  sourceNotebook: z.object({ id: z.string(), name: z.string() }).nullable(),
  sourceCellId: z.string().nullable(),
  pinned: z.boolean(),
  position: z.number(),
  published: z.boolean(),
  commentCount: z.number().int(),
  createdAt: z.string(),
});

export const ZChart = ZChartSummary.extend({ spec: z.record(z.string(), z.unknown()) });

export type TChart = z.infer<typeof ZChart>;

/** The charts' endpoints (comments, stars and publishing are in comments.ts and community.ts). */
export const chartEndpoints = {
  listCharts: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/charts",
    summary: "The project's chart board: pinned first, then in board order",
    tag: "charts",
    access: { permission: "project.read", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ charts: z.array(ZChartSummary) }),
  }),
  createChart: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/charts",
    summary: "Save a chart (spec with inline data) to the project",
    tag: "charts",
    access: { permission: "chart.create", target: { kind: "project", from: "params.id" } },
    status: 201,
    params: ZIdParams,
    body: ZCreateChartRequest,
    maxBodyBytes: MAX_CHART_BYTES,
    response: ZChart,
  }),
  getChart: defineEndpoint({
    method: "GET",
    path: "/api/v1/charts/{id}",
    summary: "A saved chart with its spec (anyone may read a published chart)",
    tag: "charts",
    access: { permission: "chart.read", target: { kind: "chart", from: "params.id" }, anonymous: true },
    params: ZIdParams,
    response: ZChart,
  }),
  updateChart: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/charts/{id}",
    summary: "Rename, describe, pin or move a chart on the board",
    tag: "charts",
    access: { permission: "chart.edit", target: { kind: "chart", from: "params.id" } },
    params: ZIdParams,
    body: ZUpdateChartRequest,
    response: ZChart,
  }),
};
