/**
 * `GET /api/v1/notebooks/{id}/cells/{cellId}/output`: the full text of a cell's last run when it
 * went over the output cap ("download full output"). The broker writes it (see `OutputSpool` in
 * `@flint/kernel`); members who read the notebook may download it. It belongs to the live
 * notebook, so readers of a published one (which they see as its snapshot) may not.
 */
import path from "node:path";
import { Readable } from "node:stream";
import { outputSpoolDir, outputSpoolKey } from "@flint/kernel";
import { LocalObjectStore } from "@flint/storage";
import { outputEndpoints as endpoints } from "../contract/outputs.js";
import { AppError } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import type { TRouteDeps } from "./deps.js";

/** The full-output route; the data folder is the one the kernel runtime writes to. */
export function createOutputRoutes({ config, bucket }: TRouteDeps): TRoutesOf<typeof endpoints> {
  // One read path for both kinds of storage: the bucket, or the data folder, whose `outputs/`
  // is where the broker's spool writes (outputSpoolDir).
  const store = bucket?.store ?? new LocalObjectStore(path.dirname(outputSpoolDir(config.dataDir)));
  /** The full output's bytes and size; null when there is none. */
  const open = async (
    notebookId: string,
    cellId: string,
  ): Promise<{ body: Readable; size: number } | null> => {
    const key = outputSpoolKey(notebookId, cellId);
    const info = await store.stat(key);
    const body = info ? await store.get(key) : null;
    return info && body ? { body, size: info.sizeBytes } : null;
  };
  return {
    getFullOutput: implement(endpoints.getFullOutput, async ({ params }) => {
      const found = await open(params.id, params.cellId);
      if (!found) {
        throw new AppError(
          "not_found",
          "This cell has no full output: only a run whose output went over the cap keeps one, until the cell runs again.",
        );
      }
      const safeName = params.cellId.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64) || "cell";
      return new Response(Readable.toWeb(found.body) as ReadableStream, {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "content-length": String(found.size),
          "content-disposition": `attachment; filename="output-${safeName}.txt"`,
          "cache-control": "no-store",
        },
      });
    }),
  };
}
