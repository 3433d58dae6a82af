/** The project's files browser: its folder on disk, shared with its kernels. */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** One entry of a folder listing. */
export const ZProjectFile = z.object({
  name: z.string(),
  path: z.string().describe("Relative to the project's folder, with / separators."),
  kind: z.enum(["file", "folder", "link"]).describe("A link is a symbolic link (never followed out)."),
  sizeBytes: z.number().int().describe("0 for folders and links."),
  modifiedAt: z.string(),
});

export type TProjectFile = z.infer<typeof ZProjectFile>;

export const ZProjectFolder = z.object({
  path: z.string().describe('The folder listed ("" is the project\'s folder).'),
  entries: z.array(ZProjectFile),
});

/** A path inside the project's folder, as sent in `?path=`. */
export const ZProjectPath = z
  .string()
  .max(1000, "a path has at most 1000 characters")
  .default("")
  .describe('Relative to the project\'s folder, "/"-separated; "" is the folder itself.');

/** A new file or folder's name. */
export const ZEntryName = z
  .string()
  .trim()
  .min(1, "a name cannot be empty")
  .max(255, "a name has at most 255 characters")
  .refine((name) => name !== "." && name !== "..", "a name cannot be . or ..")
  .refine((name) => !/[/\\\p{Cc}]/u.test(name), "a name cannot contain / or \\ or control characters");

const READ = { permission: "files.read", target: { kind: "project", from: "params.id" } } as const;
const WRITE = { permission: "files.write", target: { kind: "project", from: "params.id" } } as const;

/** The files' endpoints. */
export const fileEndpoints = {
  listProjectFiles: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/files",
    summary: "List a folder of the project's files (what its notebooks see as their working directory)",
    tag: "files",
    access: READ,
    params: ZIdParams,
    query: z.object({ path: ZProjectPath }),
    response: ZProjectFolder,
  }),
  downloadProjectFile: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/files/download",
    summary: "Download one of the project's files (always as an attachment)",
    tag: "files",
    access: READ,
    params: ZIdParams,
    query: z.object({ path: ZProjectPath }),
    response: z.string().describe("the file's bytes"),
    isDownload: true,
  }),
  uploadProjectFile: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/files/upload",
    summary:
      "Upload a file into a folder of the project (the body is the file, streamed; 413 above the limit)",
    tag: "files",
    access: WRITE,
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
  }),
  createProjectFolder: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/files/folders",
    summary: "Make a folder in a folder of the project",
    tag: "files",
    access: WRITE,
    status: 201,
    params: ZIdParams,
    body: z.strictObject({ path: ZProjectPath.describe("The folder to make it in."), name: ZEntryName }),
    response: ZProjectFile,
  }),
  deleteProjectEntry: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/projects/{id}/files",
    summary: "Delete a file, link or folder (with its contents) of the project",
    tag: "files",
    access: WRITE,
    params: ZIdParams,
    query: z.object({ path: ZProjectPath }),
    response: z.object({ deleted: z.literal(true) }),
  }),
};
