/** A project's shared Spark (docs/spark.md): the kernels of its notebooks ask for its address. */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

export const ZSparkConnectAddress = z.object({
  url: z.string().describe("sc://127.0.0.1:PORT, as seen from the kernel."),
});

/** The shared-Spark endpoint. */
export const sparkEndpoints = {
  ensureSparkConnect: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/spark-connect",
    summary:
      "Start the project's shared Spark if needed and answer its Spark Connect address, as the notebook's kernel reaches it (runners, editors, admins; also the notebook's token)",
    tag: "notebooks",
    // A kernel calls it with its notebook's token at its first Spark use; people may too.
    access: "notebookToken",
    status: 200,
    params: ZIdParams,
    response: ZSparkConnectAddress,
  }),
};
