/**
 * The execution broker's view of the database: the saved cells it may run, and where each
 * cell's outputs go as they arrive.
 */
import type { CollabHub } from "@flint/collab";
import type { Prisma, PrismaClient } from "@flint/db";
import type { TCellExecution, TCellRunStore, TCellRunUpdate, TStoredCell } from "@flint/kernel";
import { readKernelName } from "./notebook-kernel.js";

/**
 * A {@link TCellRunStore} on Flint's database. With `collab`, a notebook that people have open
 * runs the sources of its shared document as they are at that moment (what everyone sees),
 * not the last save of it. `serverId` (this web server's, see `cluster/server-registry.ts`) is
 * written with every run, so only this server's end ends them.
 */
export function createCellRunStore(
  prisma: PrismaClient,
  { collab, serverId }: { collab?: CollabHub | null; serverId?: string } = {},
): TCellRunStore {
  return {
    async loadCells(notebookId: string): Promise<TStoredCell[]> {
      const live = collab ? await collab.readLive(notebookId) : null;
      if (live) return live.cells.map(({ id, cell_type, source }) => ({ id, cell_type, source }));
      const row = await prisma.notebook.findUnique({ where: { id: notebookId }, select: { cells: true } });
      const cells = Array.isArray(row?.cells)
        ? (row.cells as { id?: unknown; cell_type?: unknown; source?: unknown }[])
        : [];
      return cells.map((cell) => ({
        id: String(cell.id),
        cell_type: String(cell.cell_type),
        source: Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? ""),
      }));
    },
    async loadKernelName(notebookId: string): Promise<string | null> {
      // The shared document first: what the open pages show is what the notebook asks for.
      const live = collab ? await collab.readLive(notebookId) : null;
      if (live) return readKernelName(live.metadata);
      const row = await prisma.notebook.findUnique({ where: { id: notebookId }, select: { metadata: true } });
      return readKernelName(row?.metadata ?? null);
    },
    async saveCellRun(notebookId: string, cellId: string, update: TCellRunUpdate): Promise<void> {
      const times = update.execution === undefined ? null : toRunTimeColumns(update.execution);
      try {
        // One statement, so the fence holds however this process is paused: written only while no
        // other server holds the notebook's lease. A server that stalled past its lease (its
        // kernel's messages waiting meanwhile) must not overwrite the new owner's account of a
        // cell (docs/deployment.md, "Several web servers"); a check and then a write could be
        // split by the stall. Fields left out of `update` keep their stored values.
        await prisma.$executeRawUnsafe(
          `INSERT INTO cell_output ("notebookId", "cellId", outputs, "executionCount", status, "startedAt", "endedAt", "ranById", "serverId", "updatedAt")
           SELECT $1, $2, COALESCE($4::jsonb, '[]'::jsonb), $6::int, $3, ${UTC_MS("$8")}, ${UTC_MS("$9")}, $10, $12, now() AT TIME ZONE 'UTC'
           WHERE $12::text IS NULL
              OR NOT EXISTS (SELECT 1 FROM notebook_lease l WHERE l."notebookId" = $1 AND l."serverId" <> $12)
           ON CONFLICT ("notebookId", "cellId") DO UPDATE SET
             status = EXCLUDED.status,
             outputs = CASE WHEN $5::boolean THEN EXCLUDED.outputs ELSE cell_output.outputs END,
             "executionCount" = CASE WHEN $7::boolean THEN EXCLUDED."executionCount" ELSE cell_output."executionCount" END,
             "startedAt" = CASE WHEN $11::boolean THEN EXCLUDED."startedAt" ELSE cell_output."startedAt" END,
             "endedAt" = CASE WHEN $11::boolean THEN EXCLUDED."endedAt" ELSE cell_output."endedAt" END,
             "ranById" = CASE WHEN $11::boolean THEN EXCLUDED."ranById" ELSE cell_output."ranById" END,
             "serverId" = COALESCE(EXCLUDED."serverId", cell_output."serverId"),
             "updatedAt" = EXCLUDED."updatedAt"`,
          notebookId,
          cellId,
          update.status,
          update.outputs === undefined ? null : JSON.stringify(update.outputs),
          update.outputs !== undefined,
          update.executionCount ?? null,
          update.executionCount !== undefined,
          times?.startedAt?.getTime() ?? null,
          times?.endedAt?.getTime() ?? null,
          times?.ranById ?? null,
          times !== null,
          serverId ?? null,
        );
      } catch (error) {
        // The notebook was deleted while its cell ran: there is nowhere to keep the output.
        if (isForeignKeyViolation(error)) return;
        throw error;
      }
    },
  };
}

/** `$n` (ms since 1970, or null) as the `timestamp(3)` columns Prisma writes hold it (UTC). */
const UTC_MS = (parameter: string) => `to_timestamp(${parameter}::float8 / 1000) AT TIME ZONE 'UTC'`;

/** A foreign key failed: Prisma's own code, or PostgreSQL's 23503 through a raw query. */
function isForeignKeyViolation(error: unknown): boolean {
  const { code, meta } = error as {
    code?: string;
    meta?: { code?: string; driverAdapterError?: { cause?: { originalCode?: string } } };
  };
  if (code === "P2003") return true;
  return code === "P2010" && (meta?.code ?? meta?.driverAdapterError?.cause?.originalCode) === "23503";
}

/** The `cell_output` columns of a run's times (`null`: cleared). */
function toRunTimeColumns(execution: TCellExecution | null): {
  startedAt: Date | null;
  endedAt: Date | null;
  ranById: string | null;
} {
  return {
    startedAt: execution ? new Date(execution.startedAt) : null,
    endedAt: execution?.endedAt ? new Date(execution.endedAt) : null,
    ranById: execution?.ranBy?.id ?? null,
  };
}

/** What a cell says when the Flint that ran it stopped without ending it. */
export const INTERRUPTED_BY_RESTART =
  "Flint stopped while this cell was running (the server was restarted), so its kernel and variables are gone; the output above is what it printed until then. Run the cell again.";

/**
 * Cells a stopped Flint left running end as `died` with a notice after the output they had stored
 * (a browser would otherwise show them running forever), and queued ones as `cancelled`. Their
 * kernels died with that Flint's Jupyter Server, so nothing can resume them.
 *
 * Only the runs of `scope.serverIds` (servers that are gone) and, with `includeUnowned`, runs of
 * no server (a Flint from before server ids): another live server's cells keep running. Without
 * `scope`, every run (a single server's start, the CLI).
 * @returns how many cells were ended.
 */
export async function endInterruptedRuns(
  prisma: PrismaClient,
  scope?: { serverIds: string[]; includeUnowned: boolean; notebookId?: string },
): Promise<{ died: number; cancelled: number }> {
  const owner: Prisma.CellOutputWhereInput = scope
    ? {
        OR: [{ serverId: { in: scope.serverIds } }, ...(scope.includeUnowned ? [{ serverId: null }] : [])],
        ...(scope.notebookId ? { notebookId: scope.notebookId } : {}),
      }
    : {};
  if (scope && scope.serverIds.length === 0 && !scope.includeUnowned) return { died: 0, cancelled: 0 };
  const running = await prisma.cellOutput.findMany({
    where: { status: "running", ...owner },
    select: { notebookId: true, cellId: true, outputs: true },
  });
  const notice = {
    output_type: "error",
    ename: "FlintRestarted",
    evalue: INTERRUPTED_BY_RESTART,
    traceback: [`\u001b[0;31mFlintRestarted\u001b[0m: ${INTERRUPTED_BY_RESTART}`],
  };
  for (const row of running) {
    const outputs = Array.isArray(row.outputs) ? row.outputs : [];
    // Only if still running: another Flint on the same database may have ended it meanwhile.
    await prisma.cellOutput.updateMany({
      where: { notebookId: row.notebookId, cellId: row.cellId, status: "running" },
      data: { status: "died", outputs: [...outputs, notice] as Prisma.InputJsonValue },
    });
  }
  const cancelled = await prisma.cellOutput.updateMany({
    where: { status: "queued", ...owner },
    data: { status: "cancelled" },
  });
  return { died: running.length, cancelled: cancelled.count };
}
