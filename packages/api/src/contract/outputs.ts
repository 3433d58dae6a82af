/** A cell's full output when its last run went over the output cap ("download full output"). */
import { z } from "zod";
import { defineEndpoint } from "./endpoint";

/** The output endpoints. */
export const outputEndpoints = {
  getFullOutput: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/cells/{cellId}/output",
    summary: "The full text output of a cell's last run that went over the output cap (a text file)",
    tag: "notebooks",
    // Members only: it belongs to the live notebook, which readers of a published one never see.
    access: { permission: "notebook.fullOutput", target: { kind: "notebook", from: "params.id" } },
    params: z.object({ id: z.string().min(1).max(64), cellId: z.string().min(1).max(256) }),
    response: z.string().describe("text/plain: everything the run printed."),
    isDownload: true,
  }),
};
