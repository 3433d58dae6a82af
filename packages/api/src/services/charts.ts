/**
 * Saved charts: a Vega-Lite spec with its data inline, saved from a chart output to a project,
 * shown on the project's chart board (pinned first, then by position) and on its own page.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { z } from "zod";
import type { TChart, ZChartSummary, ZCreateChartRequest, ZUpdateChartRequest } from "../contract/charts.js";
import { AppError } from "../errors.js";
import { recordActivity } from "./activity.js";

const SUMMARY_SELECT = {
  id: true,
  projectId: true,
  title: true,
  description: true,
  pinned: true,
  position: true,
  publishedAt: true,
  createdAt: true,
  sourceCellId: true,
  createdBy: { select: { name: true } },
  sourceNotebook: { select: { id: true, name: true } },
  _count: { select: { comments: true } },
} as const;

type TSummaryRow = {
  id: string;
  projectId: string;
  title: string;
  description: string;
  pinned: boolean;
  position: number;
  publishedAt: Date | null;
  createdAt: Date;
  sourceCellId: string | null;
  createdBy: { name: string };
  sourceNotebook: { id: string; name: string } | null;
  _count: { comments: number };
};

function toSummary(row: TSummaryRow): z.infer<typeof ZChartSummary> {
  return {
    id: row.id,
    projectId: row.projectId,
    title: row.title,
    description: row.description,
    author: row.createdBy.name,
    sourceNotebook: row.sourceNotebook,
    sourceCellId: row.sourceCellId,
    pinned: row.pinned,
    position: row.position,
    published: row.publishedAt !== null,
    commentCount: row._count.comments,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Saves a chart to a project. The source notebook, when given, must be in the same project. */
export async function createChart(
  prisma: PrismaClient,
  input: z.infer<typeof ZCreateChartRequest> & { projectId: string; userId: string },
): Promise<TChart> {
  if (input.sourceNotebookId) {
    const notebook = await prisma.notebook.findFirst({
      where: { id: input.sourceNotebookId, projectId: input.projectId },
      select: { id: true },
    });
    if (!notebook)
      throw new AppError("bad_request", "body.sourceNotebookId: no such notebook in this project");
  }
  const last = await prisma.chart.findFirst({
    where: { projectId: input.projectId },
    orderBy: { position: "desc" },
    select: { position: true },
  });
  const row = await prisma.chart.create({
    data: {
      projectId: input.projectId,
      title: input.title,
      description: input.description,
      spec: input.spec as Prisma.InputJsonValue,
      sourceNotebookId: input.sourceNotebookId ?? null,
      sourceCellId: input.sourceCellId ?? null,
      createdById: input.userId,
      position: (last?.position ?? 0) + 1,
    },
    select: { ...SUMMARY_SELECT, spec: true },
  });
  await recordActivity(prisma, {
    projectId: input.projectId,
    actorId: input.userId,
    kind: "chart.saved",
    subjectType: "chart",
    subjectId: row.id,
    details: { name: row.title },
  });
  return { ...toSummary(row), spec: row.spec as Record<string, unknown> };
}

/** The project's chart board: pinned first, then by position. */
export async function listCharts(
  prisma: PrismaClient,
  projectId: string,
): Promise<z.infer<typeof ZChartSummary>[]> {
  const rows = await prisma.chart.findMany({
    where: { projectId },
    orderBy: [{ pinned: "desc" }, { position: "asc" }],
    select: SUMMARY_SELECT,
  });
  return rows.map(toSummary);
}

/** One chart with its spec. */
export async function getChart(prisma: PrismaClient, chartId: string): Promise<TChart> {
  const row = await prisma.chart.findUniqueOrThrow({
    where: { id: chartId },
    select: { ...SUMMARY_SELECT, spec: true },
  });
  return { ...toSummary(row), spec: row.spec as Record<string, unknown> };
}

/**
 * A chart as readers who are not members see it (SECURITY.md case 34): its title, description,
 * author and drawing, and nothing of the project's notebook it came from, whose name, cell and
 * `%chart` lineage (`usermeta.flint`: the query and Spark plan that made the rows) stay private.
 */
export function toPublicChart(chart: TChart): TChart {
  const { usermeta, ...spec } = chart.spec;
  const meta = usermeta && typeof usermeta === "object" ? { ...(usermeta as Record<string, unknown>) } : null;
  if (meta) delete meta.flint;
  return {
    ...chart,
    sourceNotebook: null,
    sourceCellId: null,
    spec: meta && Object.keys(meta).length > 0 ? { ...spec, usermeta: meta } : spec,
  };
}

/** Renames, describes, pins or moves a chart on the board. */
export async function updateChart(
  prisma: PrismaClient,
  chartId: string,
  input: z.infer<typeof ZUpdateChartRequest>,
): Promise<TChart> {
  await prisma.chart.update({ where: { id: chartId }, data: input, select: { id: true } });
  return await getChart(prisma, chartId);
}
