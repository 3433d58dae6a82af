/** A notebook's named versions. */
import { z } from "zod";
import { ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";
import { ZNotebookSummary } from "./notebooks";

export const ZCheckpoint = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  createdBy: z.string(),
});

export type TCheckpoint = z.infer<typeof ZCheckpoint>;

/** The checkpoints' endpoints. */
export const checkpointEndpoints = {
  listCheckpoints: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/checkpoints",
    summary: "A notebook's named versions, newest first",
    tag: "notebooks",
    access: { permission: "notebook.history", target: { kind: "notebook", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ checkpoints: z.array(ZCheckpoint) }),
  }),
  createCheckpoint: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/checkpoints",
    summary: "Save the notebook as it is now as a named version",
    tag: "notebooks",
    access: { permission: "notebook.edit", target: { kind: "notebook", from: "params.id" } },
    status: 201,
    params: ZIdParams,
    body: z.strictObject({ name: z.string().trim().min(1, "a checkpoint needs a name").max(200) }),
    response: ZCheckpoint,
  }),
  restoreCheckpoint: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/checkpoints/{checkpointId}/restore",
    summary: "Restore a named version as a new version (compare-and-swap on version)",
    tag: "notebooks",
    access: { permission: "notebook.edit", target: { kind: "notebook", from: "params.id" } },
    params: z.object({ id: ZId, checkpointId: ZId }),
    body: z.strictObject({ version: z.number().int().positive() }),
    response: ZNotebookSummary,
  }),
};
