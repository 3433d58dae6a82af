/**
 * The execution broker's view of the database: the saved cells it may run, and where each
 * cell's outputs go as they arrive.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { TCellExecution, TCellRunUpdate, TNotebookStore, TStoredCell } from "@flint/kernel";

/** A {@link TNotebookStore} on Flint's database. */
export function createNotebookStore(prisma: PrismaClient): TNotebookStore {
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
      const times = update.execution === undefined ? {} : toRunTimeColumns(update.execution);
      const data = {
        status: update.status,
        ...(update.outputs !== undefined
          ? { outputs: update.outputs as unknown as Prisma.InputJsonValue }
          : {}),
        ...(update.executionCount !== undefined ? { executionCount: update.executionCount } : {}),
        ...times,
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
