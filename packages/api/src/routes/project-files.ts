/**
 * The project's files browser: its folder on disk, shared with its kernels (docs/notebooks.md).
 * Members list and download; editors upload (streamed, the catalog's upload limit), make folders
 * and delete. Paths are checked in services/project-files.ts.
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { authorize } from "../authorize.js";
import { ZEntryName, ZProjectFile, ZProjectFolder, ZProjectPath } from "../contract/files.js";
import { AppError } from "../errors.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import {
  createProjectFolder,
  deleteProjectEntry,
  listProjectFiles,
  openProjectFile,
  uploadProjectFile,
} from "../services/project-files.js";

const ZIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, "not a valid id"),
});

/** `filename*` (RFC 6266/5987) for any name, plus an ASCII fallback. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9 ._-]+/g, "_") || "file";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Options of {@link createProjectFileRoutes}. */
export interface TProjectFileRouteOptions {
  prisma: PrismaClient;
  dataDir: string;
  /** Largest upload, the same as the catalog's (`FLINT_CATALOG_MAX_UPLOAD_BYTES`). */
  maxUploadBytes: number;
}

/** The files routes of a project. */
export function createProjectFileRoutes(options: TProjectFileRouteOptions): TAnyRoute[] {
  const { prisma, dataDir, maxUploadBytes } = options;
  const project = async (actor: Parameters<typeof authorize>[1], id: string, write: boolean) =>
    (await authorize(prisma, actor, { kind: "project", id }, write ? "files.write" : "files.read")).projectId;
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/files",
      summary: "List a folder of the project's files (what its notebooks see as their working directory)",
      tag: "files",
      auth: "user",
      params: ZIdParams,
      query: z.object({ path: ZProjectPath }),
      response: ZProjectFolder,
      handler: async ({ actor, params, query }) =>
        await listProjectFiles(dataDir, await project(actor, params.id, false), query.path),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/files/download",
      summary: "Download one of the project's files (always as an attachment)",
      tag: "files",
      auth: "user",
      params: ZIdParams,
      query: z.object({ path: ZProjectPath }),
      response: z.string().describe("the file's bytes"),
      handler: async ({ actor, params, query }) => {
        const file = await openProjectFile(dataDir, await project(actor, params.id, false), query.path);
        // Never rendered on Flint's origin: a user's HTML or SVG file must not run as the app.
        return new Response(file.stream, {
          headers: {
            "content-type": "application/octet-stream",
            "content-length": String(file.sizeBytes),
            "content-disposition": contentDisposition(file.name),
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
          },
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/files/upload",
      summary:
        "Upload a file into a folder of the project (the body is the file, streamed; 413 above the limit)",
      tag: "files",
      auth: "user",
      status: 201,
      params: ZIdParams,
      query: z.object({
        path: ZProjectPath.describe("The folder to upload into."),
        name: ZEntryName.describe("The file's name."),
        overwrite: z
          .enum(["true", "false"])
          .default("false")
          .describe("Replace a file of that name (a folder is never replaced)."),
      }),
      documentedBody: {
        description: "The file's bytes.",
        content: { "application/octet-stream": z.string().describe("binary") },
      },
      response: ZProjectFile,
      handler: async ({ actor, params, query, request }) => {
        const projectId = await project(actor, params.id, true);
        const declared = Number(request.headers.get("content-length") ?? "NaN");
        if (Number.isFinite(declared) && declared > maxUploadBytes)
          throw new AppError(
            "payload_too_large",
            `The file is larger than the upload limit of ${Math.floor(maxUploadBytes / 1_000_000)} MB.`,
          );
        return await uploadProjectFile(dataDir, projectId, {
          folder: query.path,
          name: query.name,
          body: request.body,
          maxBytes: maxUploadBytes,
          overwrite: query.overwrite === "true",
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/files/folders",
      summary: "Make a folder in a folder of the project",
      tag: "files",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: z.strictObject({ path: ZProjectPath.describe("The folder to make it in."), name: ZEntryName }),
      response: ZProjectFile,
      handler: async ({ actor, params, body }) =>
        await createProjectFolder(dataDir, await project(actor, params.id, true), {
          folder: body.path,
          name: body.name,
        }),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/projects/{id}/files",
      summary: "Delete a file, link or folder (with its contents) of the project",
      tag: "files",
      auth: "user",
      params: ZIdParams,
      query: z.object({ path: ZProjectPath }),
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ actor, params, query }) => {
        await deleteProjectEntry(dataDir, await project(actor, params.id, true), query.path);
        return { deleted: true as const };
      },
    }),
  ];
}
