/**
 * `GET /api/v1/notebooks/{id}/cells/{cellId}/output`: the full text of a cell's last run when it
 * went over the output cap ("download full output"). The broker writes it (see `OutputSpool` in
 * `@flint/kernel`); members who read the notebook may download it. It belongs to the live
 * notebook, so readers of a published one (which they see as its snapshot) may not.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { outputSpoolDir, outputSpoolPath } from "@flint/kernel";
import { outputEndpoints as endpoints } from "../contract/outputs.js";
import { AppError } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import type { TRouteDeps } from "./deps.js";

/** The full-output route; the data folder is the one the kernel runtime writes to. */
export function createOutputRoutes({ config }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    getFullOutput: implement(endpoints.getFullOutput, async ({ params }) => {
      const file = outputSpoolPath(outputSpoolDir(config.dataDir), params.id, params.cellId);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        throw new AppError(
          "not_found",
          "This cell has no full output: only a run whose output went over the cap keeps one, until the cell runs again.",
        );
      }
      const safeName = params.cellId.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64) || "cell";
      return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream, {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "content-length": String(info.size),
          "content-disposition": `attachment; filename="output-${safeName}.txt"`,
          "cache-control": "no-store",
        },
      });
    }),
  };
}
