/**
 * Notebook documents. Cell sources and metadata are one JSON document saved by compare-and-swap
 * on `version`; outputs live per cell in `cell_output`, written by the execution broker, so that
 * running a cell never conflicts with editing the notebook (docs/notebook-storage.md).
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { TCellExecution } from "@flint/kernel";
import {
  createEmptyNotebook,
  exportIpynb,
  parseIpynb,
  readExecutionTimes,
  serializeIpynb,
  type TExecutionTimes,
  type TImportNotice,
  type TNotebook,
  withExecutionTimes,
} from "@flint/notebook";
import type { TCheckpoint } from "../contract/checkpoints.js";
import type { TCreatedNotebook, TNotebookDocument, TNotebookSummary } from "../contract/notebooks.js";
import { AppError } from "../errors.js";
import { recordActivity } from "./activity.js";
import { withOfferedKernelspec } from "./notebook-kernel.js";
import { assertNameFree, chooseNotebookName, lockProjectNames } from "./notebook-lifecycle.js";

/** A notebook document without what the caller may do (the route adds `permissions`). */
export type TNotebookContent = Omit<TNotebookDocument, "permissions">;

type TStoredCell = Record<string, unknown> & { id: string; cell_type: string };

/** A code cell's run as `cell_output` keeps it. */
type TCellOutputEntry = {
  cellId: string;
  outputs: unknown[];
  executionCount: number | null;
  times: TExecutionTimes | null;
};

/**
 * Splits a parsed notebook into the stored document and per-cell runs: outputs, execution count
 * and run times (`metadata.execution`, which the document does not keep: like outputs, it is
 * the broker's to write).
 */
export function splitNotebook(notebook: TNotebook): {
  cells: TStoredCell[];
  metadata: Record<string, unknown>;
  outputs: TCellOutputEntry[];
} {
  const cells: TStoredCell[] = [];
  const outputs: TCellOutputEntry[] = [];
  for (const cell of notebook.cells as unknown as Record<string, unknown>[]) {
    const { outputs: cellOutputs, execution_count: executionCount, ...rest } = cell;
    if (cell.cell_type !== "code") {
      cells.push(rest as TStoredCell);
      continue;
    }
    const metadata = (rest.metadata ?? {}) as Record<string, unknown>;
    cells.push({ ...(rest as TStoredCell), metadata: withExecutionTimes(metadata, null) });
    outputs.push({
      cellId: String(cell.id),
      outputs: Array.isArray(cellOutputs) ? cellOutputs : [],
      executionCount: typeof executionCount === "number" ? executionCount : null,
      times: readExecutionTimes(metadata),
    });
  }
  return { cells, metadata: (notebook.metadata ?? {}) as Record<string, unknown>, outputs };
}

/** The `cell_output` row of a cell of an imported or restored notebook. */
function toCellOutputRow(notebookId: string, entry: TCellOutputEntry) {
  return {
    notebookId,
    cellId: entry.cellId,
    outputs: entry.outputs as Prisma.InputJsonValue,
    executionCount: entry.executionCount,
    startedAt: entry.times ? new Date(entry.times.startedAt) : null,
    endedAt: entry.times?.endedAt ? new Date(entry.times.endedAt) : null,
  };
}

/** `model` with each cell's run times in its `metadata.execution`, as JupyterLab writes them. */
function withRunTimes(model: TNotebook, cellExecution: Record<string, TCellExecution>): TNotebook {
  return {
    ...model,
    cells: model.cells.map((cell) => {
      const execution = cellExecution[cell.id];
      if (cell.cell_type !== "code" || !execution) return cell;
      const times = { startedAt: execution.startedAt, endedAt: execution.endedAt };
      return { ...cell, metadata: withExecutionTimes(cell.metadata, times) };
    }),
  };
}

function parseOrThrow(input: unknown): { notebook: TNotebook; replaced: TImportNotice[] } {
  const parsed = parseIpynb(input instanceof Uint8Array ? input : JSON.stringify(input));
  if (!parsed.ok) throw new AppError("bad_request", `Invalid notebook: ${parsed.error}`);
  return { notebook: parsed.notebook, replaced: parsed.replaced };
}

const SUMMARY_SELECT = {
  id: true,
  projectId: true,
  name: true,
  version: true,
  cells: true,
  createdAt: true,
  updatedAt: true,
  lastOpenedAt: true,
  publishedAt: true,
  publishedVersion: true,
  forkedFrom: { select: { id: true, name: true } },
} as const;

type TSummaryRow = {
  id: string;
  projectId: string;
  name: string;
  version: number;
  cells: Prisma.JsonValue;
  createdAt: Date;
  updatedAt: Date;
  lastOpenedAt: Date | null;
  publishedAt: Date | null;
  publishedVersion: number | null;
  forkedFrom: { id: string; name: string } | null;
};

function toSummary(row: TSummaryRow): TNotebookSummary {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    version: row.version,
    cellCount: Array.isArray(row.cells) ? row.cells.length : 0,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastOpenedAt: row.lastOpenedAt?.toISOString() ?? null,
    published: row.publishedAt !== null,
    publishedVersion: row.publishedVersion,
    forkedFrom: row.forkedFrom,
  };
}

/** Lists a project's notebooks, the last opened first (then the last edited). */
export async function listNotebooks(prisma: PrismaClient, projectId: string): Promise<TNotebookSummary[]> {
  const rows = await prisma.notebook.findMany({
    where: { projectId, deletedAt: null },
    select: SUMMARY_SELECT,
    orderBy: [{ lastOpenedAt: { sort: "desc", nulls: "last" } }, { updatedAt: "desc" }],
  });
  return rows.map(toSummary);
}

/** One notebook's summary (as in lists). */
export async function getNotebookSummary(
  prisma: PrismaClient,
  notebookId: string,
): Promise<TNotebookSummary> {
  return toSummary(
    await prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select: SUMMARY_SELECT }),
  );
}

/**
 * Creates a notebook, empty or from nbformat JSON (its outputs kept), in one transaction. Outputs
 * the file had that could not be kept stand as notices in their places and are listed in `replaced`.
 */
export async function createNotebook(
  prisma: PrismaClient,
  input: { projectId: string; userId: string; name?: string; notebook?: unknown },
): Promise<TCreatedNotebook> {
  // `notebook` is nbformat JSON (an object) or the bytes of an uploaded .ipynb file.
  const { notebook: model, replaced } =
    input.notebook === undefined
      ? { notebook: createEmptyNotebook(), replaced: [] }
      : parseOrThrow(input.notebook);
  const split = splitNotebook(model);
  const { cells, outputs } = split;
  // A file from elsewhere keeps its kernel only when Flint offers it (docs/spark.md).
  const metadata = withOfferedKernelspec(split.metadata);
  return await prisma.$transaction(async (tx) => {
    await lockProjectNames(tx, input.projectId);
    const row = await tx.notebook.create({
      data: {
        projectId: input.projectId,
        name: await chooseNotebookName(tx, input.projectId, input.name),
        createdById: input.userId,
        cells: cells as Prisma.InputJsonValue,
        metadata: metadata as Prisma.InputJsonValue,
      },
      select: SUMMARY_SELECT,
    });
    const withOutputs = outputs.filter(
      (entry) => entry.outputs.length > 0 || entry.executionCount !== null || entry.times !== null,
    );
    if (withOutputs.length > 0) {
      await tx.cellOutput.createMany({ data: withOutputs.map((entry) => toCellOutputRow(row.id, entry)) });
    }
    await tx.project.update({ where: { id: input.projectId }, data: { updatedAt: new Date() } });
    await recordActivity(tx, {
      projectId: input.projectId,
      actorId: input.userId,
      kind: input.notebook instanceof Uint8Array ? "notebook.imported" : "notebook.created",
      subjectType: "notebook",
      subjectId: row.id,
      details: { name: row.name },
    });
    return { ...toSummary(row), replaced };
  });
}

/**
 * Reads a notebook with its outputs as Flint's model, plus its summary and cell statuses. Inside
 * a repeatable-read transaction (publishing), sources and outputs come from one moment.
 */
export async function loadNotebook(
  db: PrismaClient | Prisma.TransactionClient,
  notebookId: string,
): Promise<{
  summary: TNotebookSummary;
  model: TNotebook;
  cellStatus: Record<string, string>;
  cellExecution: Record<string, TCellExecution>;
}> {
  const row = await db.notebook.findUniqueOrThrow({
    where: { id: notebookId },
    select: {
      ...SUMMARY_SELECT,
      metadata: true,
      outputs: {
        select: {
          cellId: true,
          outputs: true,
          executionCount: true,
          status: true,
          startedAt: true,
          endedAt: true,
          ranBy: { select: { id: true, name: true } },
        },
      },
    },
  });
  const byCell = new Map(row.outputs.map((entry) => [entry.cellId, entry]));
  const cells = (Array.isArray(row.cells) ? row.cells : []).map((cell) => {
    const stored = cell as TStoredCell;
    if (stored.cell_type !== "code") return stored;
    const run = byCell.get(stored.id);
    return {
      ...stored,
      outputs: (run?.outputs as unknown[]) ?? [],
      execution_count: run?.executionCount ?? null,
    };
  });
  const model = { nbformat: 4, nbformat_minor: 5, metadata: row.metadata, cells } as unknown as TNotebook;
  const cellStatus = Object.fromEntries(row.outputs.map((entry) => [entry.cellId, entry.status]));
  const cellExecution: Record<string, TCellExecution> = {};
  for (const entry of row.outputs) {
    if (!entry.startedAt) continue;
    cellExecution[entry.cellId] = {
      startedAt: entry.startedAt.toISOString(),
      endedAt: entry.endedAt?.toISOString() ?? null,
      ranBy: entry.ranBy,
    };
  }
  return { summary: toSummary(row), model, cellStatus, cellExecution };
}

/**
 * Reads a notebook with its outputs as nbformat 4.5 JSON; run times come apart, in
 * `cellExecution`, like the statuses (the page does not save them back).
 */
export async function getNotebook(prisma: PrismaClient, notebookId: string): Promise<TNotebookContent> {
  const { summary, model, cellStatus, cellExecution } = await loadNotebook(prisma, notebookId);
  return { ...summary, notebook: exportIpynb(model) as Record<string, unknown>, cellStatus, cellExecution };
}

/** A notebook as an `.ipynb` file (nbformat 4.5, Jupyter's formatting) and a safe file name. */
export async function exportNotebookFile(
  prisma: PrismaClient,
  notebookId: string,
): Promise<{ fileName: string; text: string }> {
  const { summary, model, cellExecution } = await loadNotebook(prisma, notebookId);
  return toIpynbFile(summary.name, withRunTimes(model, cellExecution));
}

/** A notebook model as `.ipynb` text, with a file name made of the safe characters of `name`. */
export function toIpynbFile(name: string, model: TNotebook): { fileName: string; text: string } {
  // Only characters that are safe in a Content-Disposition header and on every file system.
  const base =
    name
      .replace(/[^A-Za-z0-9 ._-]+/g, "_")
      .trim()
      .slice(0, 100) || "notebook";
  return {
    fileName: base.endsWith(".ipynb") ? base : `${base}.ipynb`,
    text: serializeIpynb(model),
  };
}

/**
 * Writes a new version of a notebook's document by compare-and-swap on `baseVersion`, inside the
 * caller's transaction, and records the activity. Shared by saves and checkpoint restores.
 * @throws AppError 409 with `currentVersion` when the notebook changed since `baseVersion`.
 */
async function writeNextVersion(
  tx: Prisma.TransactionClient,
  input: {
    notebookId: string;
    actorId: string;
    baseVersion: number;
    document: { cells: TStoredCell[]; metadata: Record<string, unknown>; name?: string };
    activity: { kind: "notebook.edited" | "notebook.restored"; details?: Record<string, unknown> };
  },
): Promise<TNotebookSummary> {
  const updated = await tx.notebook.updateMany({
    where: { id: input.notebookId, version: input.baseVersion },
    data: {
      cells: input.document.cells as Prisma.InputJsonValue,
      metadata: input.document.metadata as Prisma.InputJsonValue,
      version: { increment: 1 },
      ...(input.document.name ? { name: input.document.name } : {}),
    },
  });
  if (updated.count === 0) {
    const current = await tx.notebook.findUnique({
      where: { id: input.notebookId },
      select: { version: true },
    });
    throw new AppError(
      "conflict",
      `The notebook changed since version ${input.baseVersion} (it is now version ${current?.version}). Reload it, overwrite it, or compare the two.`,
      { currentVersion: current?.version ?? null },
    );
  }
  const row = await tx.notebook.findUniqueOrThrow({
    where: { id: input.notebookId },
    select: SUMMARY_SELECT,
  });
  await recordActivity(tx, {
    projectId: row.projectId,
    actorId: input.actorId,
    kind: input.activity.kind,
    subjectType: "notebook",
    subjectId: row.id,
    details: { name: row.name, version: row.version, ...input.activity.details },
  });
  return toSummary(row);
}

/**
 * Saves a notebook by compare-and-swap on `version`. Outputs in the body are ignored (the broker
 * owns them); outputs of cells that no longer exist are removed in the same transaction.
 * @throws AppError 409 with `currentVersion` when the notebook changed since `baseVersion`.
 */
export async function saveNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string; baseVersion: number; name?: string; notebook: unknown },
): Promise<TNotebookSummary> {
  const { cells, metadata } = splitNotebook(parseOrThrow(input.notebook).notebook);
  return await prisma.$transaction(async (tx) => {
    if (input.name) {
      const { projectId, name } = await tx.notebook.findUniqueOrThrow({
        where: { id: input.notebookId },
        select: { projectId: true, name: true },
      });
      if (name !== input.name) {
        await lockProjectNames(tx, projectId);
        await assertNameFree(tx, projectId, input.name, input.notebookId);
      }
    }
    const summary = await writeNextVersion(tx, {
      ...input,
      document: { cells, metadata, name: input.name },
      activity: { kind: "notebook.edited" },
    });
    await tx.cellOutput.deleteMany({
      where: { notebookId: input.notebookId, cellId: { notIn: cells.map((cell) => cell.id) } },
    });
    return summary;
  });
}

/** Marks a notebook as just opened, so project pages list the last opened first. */
export async function touchNotebook(prisma: PrismaClient, notebookId: string): Promise<void> {
  await prisma.notebook.update({
    where: { id: notebookId },
    data: { lastOpenedAt: new Date() },
    select: { id: true },
  });
}

const CHECKPOINT_SELECT = {
  id: true,
  name: true,
  version: true,
  createdAt: true,
  createdBy: { select: { name: true } },
} as const;

function toCheckpoint(row: {
  id: string;
  name: string;
  version: number;
  createdAt: Date;
  createdBy: { name: string };
}): TCheckpoint {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy.name,
  };
}

/** Saves the notebook as it is now (sources, metadata and outputs) as a named version. */
export async function createCheckpoint(
  prisma: PrismaClient,
  notebookId: string,
  actorId: string,
  name: string,
): Promise<TCheckpoint> {
  const { summary, model, cellExecution } = await loadNotebook(prisma, notebookId);
  const row = await prisma.notebookCheckpoint.create({
    data: {
      notebookId,
      name,
      version: summary.version,
      content: withRunTimes(model, cellExecution) as unknown as Prisma.InputJsonValue,
      createdById: actorId,
    },
    select: CHECKPOINT_SELECT,
  });
  await recordActivity(prisma, {
    projectId: summary.projectId,
    actorId,
    kind: "notebook.checkpoint",
    subjectType: "notebook",
    subjectId: notebookId,
    details: { name: summary.name, checkpoint: name },
  });
  return toCheckpoint(row);
}

/** Lists a notebook's named versions, newest first. */
export async function listCheckpoints(prisma: PrismaClient, notebookId: string): Promise<TCheckpoint[]> {
  const rows = await prisma.notebookCheckpoint.findMany({
    where: { notebookId },
    orderBy: { createdAt: "desc" },
    select: CHECKPOINT_SELECT,
  });
  return rows.map(toCheckpoint);
}

/**
 * Restores a named version: its sources become a new version of the notebook (compare-and-swap
 * on `baseVersion`, like any save) and its outputs replace the current ones.
 */
export async function restoreCheckpoint(
  prisma: PrismaClient,
  input: { notebookId: string; checkpointId: string; actorId: string; baseVersion: number },
): Promise<TNotebookSummary> {
  const checkpoint = await prisma.notebookCheckpoint.findFirst({
    where: { id: input.checkpointId, notebookId: input.notebookId },
    select: { content: true, name: true },
  });
  if (!checkpoint) throw new AppError("not_found", "Checkpoint not found.");
  const { cells, metadata, outputs } = splitNotebook(checkpoint.content as unknown as TNotebook);
  return await prisma.$transaction(async (tx) => {
    const summary = await writeNextVersion(tx, {
      ...input,
      document: { cells, metadata },
      activity: { kind: "notebook.restored", details: { checkpoint: checkpoint.name } },
    });
    // The restored version brings its outputs back, replacing the current ones.
    await tx.cellOutput.deleteMany({ where: { notebookId: input.notebookId } });
    await tx.cellOutput.createMany({
      data: outputs.map((entry) => toCellOutputRow(input.notebookId, entry)),
    });
    return summary;
  });
}
