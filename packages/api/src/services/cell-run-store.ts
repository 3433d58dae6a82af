/**
 * The execution broker's view of the database: the saved cells it may run, and where each
 * cell's outputs go as they arrive.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { TCellExecution, TCellRunStore, TCellRunUpdate, TStoredCell } from "@flint/kernel";

/**
 * A {@link TCellRunStore} on Flint's database. `serverId` (this web server's, see
 * `cluster/server-registry.ts`) is written with every run, so only this server's end ends them.
 */
export function createCellRunStore(prisma: PrismaClient, serverId?: string): TCellRunStore {
  return {
    async loadCells(notebookId: string): Promise<TStoredCell[]> {
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
    async saveCellRun(notebookId: string, cellId: string, update: TCellRunUpdate): Promise<void> {
      if (serverId) {
        // Another server took the notebook over (this one stalled past its lease, its kernel's
        // messages waiting meanwhile): the new owner's account of the cells counts, not a late
        // write from here (docs/deployment.md, "Several web servers").
        const lease = await prisma.notebookLease.findUnique({
          where: { notebookId },
          select: { serverId: true },
        });
        if (lease && lease.serverId !== serverId) return;
      }
      const times = update.execution === undefined ? {} : toRunTimeColumns(update.execution);
      const data = {
        status: update.status,
        ...(update.outputs !== undefined
          ? { outputs: update.outputs as unknown as Prisma.InputJsonValue }
          : {}),
        ...(update.executionCount !== undefined ? { executionCount: update.executionCount } : {}),
        ...times,
        ...(serverId ? { serverId } : {}),
      };
      try {
        await prisma.cellOutput.upsert({
          where: { notebookId_cellId: { notebookId, cellId } },
          create: {
            notebookId,
            cellId,
            outputs: (update.outputs ?? []) as unknown as Prisma.InputJsonValue,
            executionCount: update.executionCount ?? null,
            status: update.status,
            ...times,
            serverId: serverId ?? null,
          },
          update: data,
        });
      } catch (error) {
        // The notebook was deleted while its cell ran: there is nowhere to keep the output.
        if ((error as { code?: string }).code === "P2003") return;
        throw error;
      }
    },
  };
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
