/** Running a notebook's saved cells over REST (automation), and choosing the kernel it runs on. */
import { ZCellRunResult, ZKernelName } from "@flint/kernel/protocol";
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

export const ZSetNotebookKernelRequest = z.strictObject({
  name: ZKernelName.describe(
    "The kernelspec: flint-spark (the project's shared Spark, Spark Connect) or flint-spark-dedicated (the notebook's own Spark with sc and RDDs).",
  ),
});

export const ZNotebookKernel = z.object({
  name: z.string(),
  displayName: z.string(),
  version: z.number().int().describe("The notebook's version after the change."),
  restarted: z
    .boolean()
    .describe("The notebook had a running kernel, now replaced by one of the new kind (its state is lost)."),
});

/** The run endpoint and the kernel choice. */
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
  setNotebookKernel: defineEndpoint({
    method: "PUT",
    path: "/api/v1/notebooks/{id}/kernel",
    summary:
      "Choose the notebook's kernel (saved as metadata.kernelspec); a running kernel of another kind is restarted as the new one (runners, editors, admins)",
    tag: "notebooks",
    access: { permission: "notebook.kernel", target: { kind: "notebook", from: "params.id" } },
    status: 200,
    params: ZIdParams,
    body: ZSetNotebookKernelRequest,
    response: ZNotebookKernel,
  }),
};
