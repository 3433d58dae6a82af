/**
 * `GET /api/v1/notebooks/{id}/cells/{cellId}/output`: the full text of a cell's last run when it
 * went over the output cap ("download full output"). The broker writes it (see `OutputSpool` in
 * `@flint/kernel`); members who read the notebook may download it. It belongs to the live
 * notebook, so readers of a published one (which they see as its snapshot) may not.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { PrismaClient } from "@flint/db";
import { outputSpoolDir, outputSpoolPath } from "@flint/kernel";
import { z } from "zod";
import { authorize } from "../authorize.js";
import { AppError } from "../errors.js";
import { defineRoute, type TAnyRoute } from "../router.js";

const ZParams = z.object({
  id: z.string().min(1).max(64),
  cellId: z.string().min(1).max(256),
});

/** The full-output route; `dataDir` is the one the kernel runtime writes to. */
export function createOutputRoutes(prisma: PrismaClient, dataDir: string): TAnyRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/notebooks/{id}/cells/{cellId}/output",
      summary: "The full text output of a cell's last run that went over the output cap (a text file)",
      tag: "notebooks",
      auth: "public",
      params: ZParams,
      response: z.string().describe("text/plain: everything the run printed."),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.fullOutput");
        const file = outputSpoolPath(outputSpoolDir(dataDir), params.id, params.cellId);
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
      },
    }),
  ];
}
