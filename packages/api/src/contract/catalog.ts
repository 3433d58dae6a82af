/**
 * The data catalog (`/api/v1/catalog/*`). Its schemas are `@flint/catalog/schemas`. Routes a
 * kernel calls (`flint.catalog`) take `notebookToken`: a user, or a notebook's token limited to
 * its project (reads also reach the projects its notebook was forked from).
 */
import {
  ZAsset,
  ZAssetSummary,
  ZAutocompleteResponse,
  ZConnection,
  ZCreateConnectionRequest,
  ZLoadRequest,
  ZLoadResponse,
  ZProfileRun,
  ZRegisterAssetRequest,
  ZRegisterSparkTableRequest,
  ZRegisterWrittenRequest,
  ZSearchQuery,
  ZSearchResponse,
  ZSourceTable,
  ZUpdateAssetRequest,
  ZWriteTargetRequest,
} from "@flint/catalog/schemas";
import { z } from "zod";
import { ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

const ZProjectQuery = z.object({ projectId: ZId.describe("The project.") });

/** The multipart upload's fields, in the order the server wants them (for the OpenAPI document). */
const ZUploadForm = z.object({
  projectId: ZId.describe("The project; first, so it is checked before the file is read."),
  name: z.string().optional().describe("Asset name; default: the file name's stem."),
  description: z.string().optional(),
  tags: z.string().optional().describe("Comma-separated."),
  format: z.enum(["csv", "json", "parquet"]).optional().describe("Default: from the file extension."),
  file: z.string().meta({ format: "binary" }).describe("The file (CSV, JSON or Parquet), last."),
});

const ON_ASSET = { kind: "asset", from: "params.id" } as const;
const ON_CONNECTION = { kind: "connection", from: "params.id" } as const;

/** The catalog's endpoints. */
export const catalogEndpoints = {
  searchAssets: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/search",
    summary:
      "Search the assets of your projects: words, `col:name`, `tag:`, `owner:`, `kind:`, `format:`, `project:` (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    query: ZSearchQuery,
    response: ZSearchResponse,
  }),
  autocompleteAssets: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/autocomplete",
    summary: "Asset names that start with what was typed, exact and popular first",
    tag: "catalog",
    access: "user",
    query: z.object({
      q: z.string().max(200).default(""),
      limit: z.coerce.number().int().min(1).max(20).default(8),
    }),
    response: ZAutocompleteResponse,
  }),
  listAssets: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/assets",
    summary: "A project's assets, most recently updated first",
    tag: "catalog",
    access: { permission: "catalog.read", target: { kind: "project", from: "query.projectId" } },
    query: ZProjectQuery,
    response: z.object({ assets: z.array(ZAssetSummary) }),
  }),
  registerAsset: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/assets",
    summary:
      "Register an asset. multipart/form-data: fields projectId (first, or ?projectId=), name, description, tags (comma-separated), format, then file (CSV, JSON, Parquet), streamed to storage; 413 above the limit. application/json: a path in the project's storage or a connection table (RegisterAssetRequest). Profiling is queued.",
    tag: "catalog",
    // The project is in the streamed body: the handler checks catalog.write once it has read it.
    access: "user",
    status: 201,
    query: z.object({
      projectId: ZId.optional().describe("For uploads: the project, checked before the file is read."),
    }),
    documentedBody: {
      description: "A file upload (multipart, streamed), or a path or connection table (JSON).",
      content: { "multipart/form-data": ZUploadForm, "application/json": ZRegisterAssetRequest },
    },
    response: ZAssetSummary,
  }),
  getAsset: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/assets/{id}",
    summary: "An asset: schema, latest profile, lineage and insert-to-code snippets (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    params: ZIdParams,
    response: ZAsset,
  }),
  updateAsset: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/catalog/assets/{id}",
    summary: "Edit an asset's description, tags and column descriptions",
    tag: "catalog",
    access: { permission: "catalog.write", target: ON_ASSET },
    params: ZIdParams,
    body: ZUpdateAssetRequest,
    response: ZAsset,
  }),
  deleteAsset: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/catalog/assets/{id}",
    summary: "Remove an asset from the catalog (an uploaded file is deleted with it)",
    tag: "catalog",
    access: { permission: "catalog.write", target: ON_ASSET },
    params: ZIdParams,
    response: z.object({ deleted: z.literal(true) }),
  }),
  profileAsset: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/assets/{id}/profile",
    summary: "Queue a new Spark profile of an asset",
    tag: "catalog",
    access: { permission: "catalog.write", target: ON_ASSET },
    status: 202,
    params: ZIdParams,
    response: ZProfileRun,
  }),
  getAssetProfile: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/assets/{id}/profile",
    summary: "The latest profile of an asset, with its status and progress (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    params: ZIdParams,
    response: z.object({ profile: ZProfileRun.nullable() }),
  }),
  getAssetContent: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/assets/{id}/content",
    summary:
      "A file asset's bytes (a folder as a tar archive), for kernels whose sandbox does not hold its project (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    params: ZIdParams,
    response: z.string().describe("the file, or application/x-tar for a folder"),
    isDownload: true,
  }),
  getAssetRows: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/assets/{id}/rows",
    summary:
      "A connection table's rows as CSV with a header, streamed by the server so credentials stay there (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    params: ZIdParams,
    response: z.string().describe("text/csv"),
    isDownload: true,
  }),
  loadAsset: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/load",
    summary:
      "How a notebook reads an asset into Spark (by name, qualified name or id); records the read as usage and lineage (also a notebook token, which reads its notebook's project and the projects it was forked from)",
    tag: "catalog",
    access: "notebookToken",
    body: ZLoadRequest,
    response: ZLoadResponse,
  }),
  createWriteTarget: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/write-targets",
    summary: "Where a notebook writes a DataFrame it is about to register (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    body: ZWriteTargetRequest.extend({ overwrite: z.boolean().default(false) }),
    response: z.object({ path: z.string(), relativePath: z.string(), projectId: z.string() }),
  }),
  registerWrittenAsset: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/assets/written",
    summary:
      "Register a DataFrame a notebook wrote to its write target; records the write as lineage and queues profiling (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    status: 201,
    body: ZRegisterWrittenRequest,
    response: ZAssetSummary,
  }),
  registerSparkTable: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/assets/spark-tables",
    summary:
      "Register a Spark table of a notebook's session with its schema and the kernel's profile; records the write as lineage (also a notebook token)",
    tag: "catalog",
    access: "notebookToken",
    status: 201,
    body: ZRegisterSparkTableRequest,
    response: ZAssetSummary,
  }),
  listConnections: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/connections",
    summary: "A project's PostgreSQL connections (never their passwords)",
    tag: "catalog",
    access: { permission: "catalog.read", target: { kind: "project", from: "query.projectId" } },
    query: ZProjectQuery,
    response: z.object({ connections: z.array(ZConnection) }),
  }),
  createConnection: defineEndpoint({
    method: "POST",
    path: "/api/v1/catalog/connections",
    summary:
      "Save a PostgreSQL connection after checking it works; the password is stored encrypted and never returned",
    tag: "catalog",
    access: { permission: "catalog.write", target: { kind: "project", from: "body.projectId" } },
    status: 201,
    body: ZCreateConnectionRequest,
    response: ZConnection,
  }),
  deleteConnection: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/catalog/connections/{id}",
    summary: "Delete a connection that no asset uses",
    tag: "catalog",
    access: { permission: "catalog.write", target: ON_CONNECTION },
    params: ZIdParams,
    response: z.object({ deleted: z.literal(true) }),
  }),
  listConnectionTables: defineEndpoint({
    method: "GET",
    path: "/api/v1/catalog/connections/{id}/tables",
    summary: "Tables and views of a connection's database, marked when already registered",
    tag: "catalog",
    // Listing goes through the saved credentials: only those who may register tables.
    access: { permission: "catalog.write", target: ON_CONNECTION },
    params: ZIdParams,
    response: z.object({ tables: z.array(ZSourceTable) }),
  }),
};
