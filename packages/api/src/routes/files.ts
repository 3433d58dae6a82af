/**
 * The project's files browser: its folder on disk, shared with its kernels (docs/notebooks.md).
 * Members list and download; editors upload (streamed, the catalog's upload limit), make folders
 * and delete. Paths are checked in services/project-files.ts.
 */
import { fileEndpoints as endpoints } from "../contract/files.js";
import { AppError } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import {
  createProjectFolder,
  deleteProjectEntry,
  listProjectFiles,
  openProjectFile,
  uploadProjectFile,
} from "../services/project-files.js";
import type { TRouteDeps } from "./deps.js";

/** `filename*` (RFC 6266/5987) for any name, plus an ASCII fallback. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9 ._-]+/g, "_") || "file";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The files routes of a project. */
export function createFileRoutes({ config, catalog }: TRouteDeps): TRoutesOf<typeof endpoints> {
  const { storageRoot } = config;
  // The largest upload is the catalog's (`FLINT_CATALOG_MAX_UPLOAD_BYTES`).
  const maxUploadBytes = catalog.maxUploadBytes;
  return {
    listProjectFiles: implement(endpoints.listProjectFiles, async ({ grant, query }) =>
      listProjectFiles(storageRoot, grant.projectId, query.path),
    ),
    downloadProjectFile: implement(endpoints.downloadProjectFile, async ({ grant, query }) => {
      const file = await openProjectFile(storageRoot, grant.projectId, query.path);
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
    }),
    uploadProjectFile: implement(endpoints.uploadProjectFile, async ({ grant, query, request }) => {
      const declared = Number(request.headers.get("content-length") ?? "NaN");
      if (Number.isFinite(declared) && declared > maxUploadBytes)
        throw new AppError(
          "payload_too_large",
          `The file is larger than the upload limit of ${Math.floor(maxUploadBytes / 1_000_000)} MB.`,
        );
      return await uploadProjectFile(storageRoot, grant.projectId, {
        folder: query.path,
        name: query.name,
        body: request.body,
        maxBytes: maxUploadBytes,
        overwrite: query.overwrite === "true",
      });
    }),
    createProjectFolder: implement(endpoints.createProjectFolder, async ({ grant, body }) =>
      createProjectFolder(storageRoot, grant.projectId, { folder: body.path, name: body.name }),
    ),
    deleteProjectEntry: implement(endpoints.deleteProjectEntry, async ({ grant, query }) => {
      await deleteProjectEntry(storageRoot, grant.projectId, query.path);
      return { deleted: true as const };
    }),
  };
}
