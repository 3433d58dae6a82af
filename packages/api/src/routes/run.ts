/**
 * `POST /api/v1/notebooks/{id}/run`: runs saved cells through the same execution broker as the
 * notebook's WebSocket, for automation. With `wait`, answers with the cells' outputs.
 */
import type { PrismaClient } from "@flint/db";
import { type ExecutionBroker, ZCellRunResult } from "@flint/kernel";
import { z } from "zod";
import { authorize } from "../authorize.js";
import { AppError } from "../errors.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import { recordActivity } from "../services/activity.js";
import { createCellRunStore } from "../services/cell-run-store.js";

/** What the run route needs of the broker. */
export type TRunBroker = Pick<ExecutionBroker, "runAndWait" | "handleCommand" | "kernelIdOf">;

export const ZRunNotebookRequest = z.strictObject({
  cellIds: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(10_000)
    .optional()
    .describe("Cells to run in order; default: every code cell."),
  wait: z.boolean().default(false).describe("Answer when the cells have finished, with their outputs."),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(3_600_000)
    .default(600_000)
    .describe("With wait: give up waiting after this long (the cells keep running)."),
});

/** The run route; `getBroker` returns null while no kernel runtime is attached. */
export function createRunRoutes(prisma: PrismaClient, getBroker: () => TRunBroker | null): TAnyRoute[] {
  const store = createCellRunStore(prisma);
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/run",
      summary: "Run saved cells through the execution broker (runners, editors, admins)",
      tag: "notebooks",
      auth: "user",
      status: 200,
      params: z.object({
        id: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9_-]+$/, "not a valid id"),
      }),
      body: ZRunNotebookRequest,
      response: z.object({ cellIds: z.array(z.string()), results: z.array(ZCellRunResult).optional() }),
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.run");
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
          actorId: actor!.userId,
          kind: "notebook.run",
          subjectType: "notebook",
          subjectId: params.id,
          details: { cells: cellIds.length },
        });
        const context = { userId: actor!.userId, userName: actor!.name };
        if (body.wait)
          return { cellIds, results: await broker.runAndWait(params.id, cellIds, body.timeoutMs, context) };
        await broker.handleCommand(params.id, { type: "run", cellIds }, context);
        return { cellIds };
      },
    }),
  ];
}
