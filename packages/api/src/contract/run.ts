/** Running a notebook's saved cells over REST (automation), and a cell's full output. */
import { ZCellRunResult } from "@flint/kernel/protocol";
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

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

/** The run endpoint. */
export const runEndpoints = {
  runNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/run",
    summary: "Run saved cells through the execution broker (runners, editors, admins)",
    tag: "notebooks",
    access: { permission: "notebook.run", target: { kind: "notebook", from: "params.id" } },
    status: 200,
    params: ZIdParams,
    body: ZRunNotebookRequest,
    response: z.object({ cellIds: z.array(z.string()), results: z.array(ZCellRunResult).optional() }),
  }),
};
