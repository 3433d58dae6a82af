/**
 * `POST /api/v1/notebooks/{id}/run`: runs saved cells through the same execution broker as the
 * notebook's WebSocket, for automation. With `wait`, answers with the cells' outputs.
 */
import { runEndpoints as endpoints } from "../contract/run.js";
import { AppError } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import { recordActivity } from "../services/activity.js";
import { createNotebookStore } from "../services/notebook-store.js";
import type { TRouteDeps } from "./deps.js";

/** The run route; `getBroker` returns null while no kernel runtime is attached. */
export function createRunRoutes({ prisma, getBroker }: TRouteDeps): TRoutesOf<typeof endpoints> {
  const store = createNotebookStore(prisma);
  return {
    runNotebook: implement(endpoints.runNotebook, async ({ actor, grant, params, body }) => {
      const broker = getBroker();
      if (!broker)
        throw new AppError(
          "unavailable",
          "Kernels are not available on this server yet; try again shortly (a site administrator sees their state in /api/health).",
        );
      const cells = await store.loadCells(params.id);
      const known = new Set(cells.map((cell) => cell.id));
      const unknown = (body.cellIds ?? []).filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw new AppError(
          "bad_request",
          `body.cellIds: no such cell in this notebook: ${unknown.slice(0, 5).join(", ")}`,
        );
      const cellIds =
        body.cellIds ?? cells.filter((cell) => cell.cell_type === "code").map((cell) => cell.id);
      if (cellIds.length === 0) return { cellIds };
      await recordActivity(prisma, {
        projectId: grant.projectId,
        actorId: actor.userId,
        kind: "notebook.run",
        subjectType: "notebook",
        subjectId: params.id,
        details: { cells: cellIds.length },
      });
      const context = { userId: actor.userId, userName: actor.name };
      if (body.wait)
        return { cellIds, results: await broker.runAndWait(params.id, cellIds, body.timeoutMs, context) };
      await broker.handleCommand(params.id, { type: "run", cellIds }, context);
      return { cellIds };
    }),
  };
}
