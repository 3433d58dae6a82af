/**
 * `POST /api/v1/notebooks/{id}/run`: runs saved cells through the same execution broker as the
 * notebook's WebSocket, for automation. With `wait`, answers with the cells' outputs.
 * `PUT /api/v1/notebooks/{id}/kernel`: chooses the kernel the notebook runs on (docs/spark.md).
 */
import { kernelDisplayName } from "@flint/kernel/protocol";
import { runEndpoints as endpoints } from "../contract/run.js";
import { AppError } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import { recordActivity } from "../services/activity.js";
import { createCellRunStore } from "../services/cell-run-store.js";
import { syncSavedToCollab } from "../services/collab-store.js";
import { setNotebookKernel } from "../services/notebook-kernel.js";
import type { TRouteDeps } from "./deps.js";

/** The run route; `getBroker` returns null while no kernel runtime is attached. */
export function createRunRoutes({ prisma, getBroker, collab }: TRouteDeps): TRoutesOf<typeof endpoints> {
  const store = createCellRunStore(prisma);
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
    setNotebookKernel: implement(endpoints.setNotebookKernel, async ({ params, body }) => {
      // What people typed is saved first, so the metadata-only save below builds on it.
      await collab?.flush(params.id);
      const { version, isChanged } = await setNotebookKernel(prisma, {
        notebookId: params.id,
        kernelName: body.name,
      });
      // Open pages hold the metadata in their shared document: bring it to the saved one there,
      // or the next co-editing save would write the old kernelspec back.
      if (isChanged) await syncSavedToCollab(prisma, collab, params.id);
      // The broker reads the saved choice, restarts a kernel of another kind and tells every
      // page. Without kernels on this server, the next run starts the new kind anyway.
      const broker = getBroker();
      const hadKernel = (broker?.kernelIdOf(params.id) ?? null) !== null;
      // Answered once the new kernel is up (or failed to start: the pages' kernel status says why).
      if (broker) await broker.handleCommand(params.id, { type: "switchKernel" });
      return {
        name: body.name,
        displayName: kernelDisplayName(body.name),
        version,
        restarted: hadKernel && isChanged,
      };
    }),
  };
}
