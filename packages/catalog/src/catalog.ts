/**
 * The catalog of one Flint process: registration (uploads, stored paths, connection tables,
 * DataFrames written by notebooks), asset pages, loading into Spark, and the profiling queue.
 * Callers authorize first (the API's one authorization check); functions that look assets up
 * by name take a viewer and filter by membership in SQL.
 */
import { spawn } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { realpath, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { PrismaClient } from "@flint/db";
import type { TObjectStore, TSparkStorageSettings } from "@flint/storage";
import { createAsset, loadSummaries, parseStoredColumns, replaceColumns, type TNewColumn } from "./assets.js";
import { DEFAULT_CONNECTION_POLICY, type TConnectionPolicy } from "./connection-guard.js";
import {
  describeSourceTable,
  getConnection,
  loadConnectionSecret,
  splitTableName,
  streamSourceTableCsv,
} from "./connections.js";
import { assetNotFound, CatalogError } from "./errors.js";
import { receiveMultipartUpload } from "./multipart.js";
import type { TForkSource } from "./notebook-tokens.js";
import { getLatestProfileRun, getProfiledSchema, ProfileQueue } from "./profiler.js";
import {
  type TAsset,
  type TAssetSummary,
  type TLoadResponse,
  type TRegisterAssetRequest,
  type TRegisterSparkTableRequest,
  ZAssetName,
  ZTag,
} from "./schemas.js";
import { buildSnippets } from "./snippets.js";
import { SqlParams, type TViewer, visibleProjectsCondition } from "./sql.js";
import {
  defaultStorageRoot,
  describeStoredData,
  folderOwner,
  formatFromFileName,
  projectStorageDir,
  readCsvHeader,
  readOptionsFor,
  resolveProjectPath,
  safeFileName,
  toProjectRelative,
} from "./storage.js";
import {
  describeStoredObject,
  fromStorageError,
  projectKey,
  readObjectCsvHeader,
  readOptionsForObject,
} from "./stored-objects.js";
import { getLineage, PopularityRefresher, recordUsage, type TUsageKind } from "./usage.js";

/** Options of {@link createCatalog}. */
export interface TCatalogOptions {
  prisma: PrismaClient;
  dataDir: string;
  /** The folder that holds `projects/<id>/` (FLINT_STORAGE_URL's folder); default `<dataDir>/storage`. */
  storageRoot?: string;
  /** Python environment with pyspark, for profiling jobs. */
  pythonEnv: string;
  /** 32-byte key that encrypts connection passwords. */
  secretKey: Buffer;
  /**
   * Which hosts connections may reach beyond public addresses (`FLINT_CONNECTION_ALLOW`); default
   * none. Its `log` defaults to this catalog's `log`.
   */
  connectionPolicy?: TConnectionPolicy;
  /** Largest upload accepted (413 beyond). Default 2 GB. */
  maxUploadBytes?: number;
  /** Statistics use a sample of about this many rows beyond it. Default 1,000,000. */
  profileMaxRows?: number;
  /**
   * An object store (FLINT_STORAGE_URL=s3://...) that holds uploads and notebook datasets, and
   * the settings Spark needs to read it (the profiler's). Unset: the data folder, read by path.
   */
  objectStore?: { store: TObjectStore; spark: TSparkStorageSettings };
  /** This web server's id, written on the profiling runs it takes ({@link TProfileQueueOptions}). */
  serverId?: string;
  log?: (message: string) => void;
}

/** Default upload limit: 2 GB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2_000_000_000;

/** A stored asset's file or folder; a clear 404 when it is gone from storage (not a 500). */
async function statStored(absolute: string): Promise<Awaited<ReturnType<typeof stat>>> {
  try {
    return await stat(absolute);
  } catch {
    throw new CatalogError(
      "not_found",
      "This asset's data is missing from its project's storage; upload or register it again.",
    );
  }
}

/** Folder of uploads inside a project's storage. */
const UPLOADS = "uploads";
/** Folder of DataFrames registered from notebooks inside a project's storage. */
const DATASETS = "datasets";

function parseTags(raw: string | undefined): string[] {
  if (!raw?.trim()) return [];
  let values: unknown;
  try {
    values = raw.trim().startsWith("[") ? JSON.parse(raw) : raw.split(",");
  } catch {
    throw new CatalogError("bad_request", "tags: send a comma-separated list or a JSON array of strings.");
  }
  if (!Array.isArray(values)) throw new CatalogError("bad_request", "tags: send a list of strings.");
  const tags = values
    .map(String)
    .map((value) => value.trim())
    .filter(Boolean);
  if (tags.length > 20) throw new CatalogError("bad_request", "tags: at most 20.");
  return [
    ...new Set(
      tags.map((tag) => {
        const parsed = ZTag.safeParse(tag);
        if (!parsed.success)
          throw new CatalogError(
            "bad_request",
            `tags: '${tag.slice(0, 40)}' is not a valid tag (letters, digits, '-' and '_').`,
          );
        return parsed.data;
      }),
    ),
  ];
}

function parseName(raw: string): string {
  const parsed = ZAssetName.safeParse(raw);
  if (!parsed.success)
    throw new CatalogError("bad_request", `name: ${parsed.error.issues[0]?.message ?? "invalid"}.`);
  return parsed.data;
}

/** An asset name derived from a file or table name (`Sales 2026.csv` → `Sales_2026`). */
export function nameFromFileName(fileName: string): string {
  const base = path
    .basename(fileName)
    .replace(/\.[A-Za-z0-9]+$/, "")
    .replace(/[^\p{L}\p{N}_.-]+/gu, "_")
    .replace(/^[^\p{L}\p{N}]+/u, "")
    .slice(0, 128);
  return base || "dataset";
}

/** The catalog service of one Flint process. */
export class Catalog {
  readonly prisma: PrismaClient;
  readonly profiler: ProfileQueue;
  readonly maxUploadBytes: number;
  /** Where connections may go; every connect goes through its check. */
  readonly connectionPolicy: TConnectionPolicy;
  /** The bucket that holds file assets (FLINT_STORAGE_URL=s3://...); null: the data folder. */
  readonly objectStore: TObjectStore | null;
  /** The folder of the projects' files (see {@link TCatalogOptions.storageRoot}). */
  readonly storageRoot: string;
  private readonly popularity: PopularityRefresher;

  constructor(private readonly options: TCatalogOptions) {
    this.prisma = options.prisma;
    this.connectionPolicy = {
      log: options.log,
      ...(options.connectionPolicy ?? DEFAULT_CONNECTION_POLICY),
    };
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.objectStore = options.objectStore?.store ?? null;
    this.storageRoot = options.storageRoot ?? defaultStorageRoot(options.dataDir);
    this.profiler = new ProfileQueue({
      prisma: options.prisma,
      dataDir: options.dataDir,
      storageRoot: options.storageRoot ?? defaultStorageRoot(options.dataDir),
      pythonEnv: options.pythonEnv,
      secretKey: options.secretKey,
      connectionPolicy: this.connectionPolicy,
      maxRows: options.profileMaxRows,
      objectStore: options.objectStore,
      serverId: options.serverId,
      log: options.log,
    });
    this.popularity = new PopularityRefresher(options.prisma, 60_000, options.log);
  }

  /** The key that encrypts connection passwords. */
  get secretKey(): Buffer {
    return this.options.secretKey;
  }

  /** Stops the profiler (killing a running Spark job) and pending refreshes. */
  async stop(): Promise<void> {
    this.popularity.stop();
    await this.profiler.stop();
  }

  private async ensureNameFree(projectId: string, name: string, exceptId?: string): Promise<void> {
    const existing = await this.prisma.catalogAsset.findFirst({
      where: {
        projectId,
        name: { equals: name, mode: "insensitive" },
        ...(exceptId ? { NOT: { id: exceptId } } : {}),
      },
      select: { id: true },
    });
    if (existing) throw new CatalogError("conflict", `The project already has an asset named ${name}.`);
  }

  private async summaryOf(assetId: string, userId: string): Promise<TAssetSummary> {
    const [summary] = await loadSummaries(this.prisma, [assetId], { userId });
    if (!summary) throw assetNotFound();
    return summary;
  }

  /**
   * Receives a multipart upload (`file` plus `projectId`, `name`, `description`, `tags`),
   * streams the file into the project's storage and registers it; profiling is queued.
   * `authorizeProject` runs before any byte of the file is written.
   */
  async registerUpload(
    body: ReadableStream<Uint8Array> | null,
    contentType: string,
    userId: string,
    authorizeProject: (projectId: string) => Promise<string>,
    presetProjectId?: string,
  ): Promise<TAssetSummary> {
    const upload = await receiveMultipartUpload(body, contentType, {
      maxFileBytes: this.maxUploadBytes,
      onFile: async (fields, file) => {
        const requested = presetProjectId ?? fields.projectId;
        if (!requested) {
          throw new CatalogError(
            "bad_request",
            "projectId: send it before the file (a form field or ?projectId=).",
          );
        }
        const projectId = await authorizeProject(requested);
        const name = parseName(fields.name?.trim() || nameFromFileName(file.fileName));
        const requestedFormat = fields.format?.trim().toLowerCase();
        const format = (requestedFormat || formatFromFileName(file.fileName)) as
          | "csv"
          | "json"
          | "parquet"
          | null;
        if (!format || !["csv", "json", "parquet"].includes(format)) {
          throw new CatalogError(
            "unsupported_media_type",
            "Upload CSV (.csv, .tsv), JSON (.json, .jsonl) or Parquet (.parquet) files, or name the format in the 'format' field.",
          );
        }
        await this.ensureNameFree(projectId, name);
        const fileName = safeFileName(name, format).replace(
          /\.csv$/,
          file.fileName.toLowerCase().endsWith(".tsv") ? ".tsv" : ".csv",
        );
        const remote = this.options.objectStore?.store;
        if (remote) {
          // Streamed to the bucket as it arrives (a multipart upload for large files).
          const relative = `${UPLOADS}/${fileName}`;
          const key = projectKey(projectId, relative);
          return {
            write: (stream: Readable) =>
              remote.put(key, stream, { maxBytes: this.maxUploadBytes, ifAbsent: true }).catch((error) => {
                throw fromStorageError(error, this.maxUploadBytes);
              }),
            context: { projectId, name, format, relative },
          };
        }
        // Checked like every path in the project's folder: `uploads` may be a link a notebook made.
        const target = await resolveProjectPath(this.storageRoot, projectId, `${UPLOADS}/${fileName}`);
        const projectFolder = projectStorageDir(this.storageRoot, projectId);
        return {
          path: target,
          // Sandboxed notebooks run as the project's user: the upload is theirs to read.
          owner: existsSync(projectFolder) ? await folderOwner(await realpath(projectFolder)) : null,
          context: {
            projectId,
            name,
            format,
            relative: toProjectRelative(this.storageRoot, projectId, target),
          },
        };
      },
    });
    const { projectId, name, format, relative } = upload.context;
    const remote = this.options.objectStore?.store;
    try {
      const tags = parseTags(upload.fields.tags);
      const description = (upload.fields.description ?? "").slice(0, 10_000);
      // The header gives column names at once (searchable before Spark has inferred the types).
      const header =
        format !== "csv"
          ? []
          : remote
            ? await readObjectCsvHeader(remote, projectKey(projectId, relative))
            : await readCsvHeader(upload.file.path!, relative.endsWith(".tsv") ? "\t" : ",");
      const columns: TNewColumn[] = header.map((column) => ({ name: column, dataType: "unknown" }));
      const id = await createAsset(this.prisma, {
        projectId,
        name,
        qualifiedName: `files/${relative}`,
        kind: "file",
        format,
        location: relative,
        description,
        ownerId: userId,
        tags,
        sizeBytes: upload.file.sizeBytes,
        columns,
        profileStatus: "queued",
      });
      await this.profiler.enqueue(id, userId);
      return await this.summaryOf(id, userId);
    } catch (error) {
      if (remote) await remote.remove(projectKey(projectId, relative)).catch(() => undefined);
      else if (upload.file.path) await rm(upload.file.path, { force: true });
      throw error;
    }
  }

  /** Registers a file or folder already in the project's bucket (FLINT_STORAGE_URL=s3://...). */
  private async registerStoredObject(
    request: Extract<TRegisterAssetRequest, { source: "path" }>,
    userId: string,
    store: TObjectStore,
  ): Promise<TAssetSummary> {
    const key = projectKey(request.projectId, request.path);
    const stored = await describeStoredObject(store, key);
    return await this.registerStoredFile(request, userId, {
      ...stored,
      relative: key.slice(`projects/${request.projectId}/`.length),
      readHeader: () => readObjectCsvHeader(store, key),
    });
  }

  /**
   * Records a file or folder of the project's storage (the data folder or the bucket) as an
   * asset and queues its profile; the format comes from the request or the file name.
   */
  private async registerStoredFile(
    request: Extract<TRegisterAssetRequest, { source: "path" }>,
    userId: string,
    stored: {
      relative: string;
      format: "csv" | "json" | "parquet" | null;
      sizeBytes: number;
      isDirectory: boolean;
      readHeader: () => Promise<string[]>;
    },
  ): Promise<TAssetSummary> {
    const format = request.format ?? stored.format;
    if (!format) {
      throw new CatalogError(
        "bad_request",
        "Cannot tell the format from the file name: send format (csv, json or parquet).",
      );
    }
    const name = parseName(request.name ?? nameFromFileName(stored.relative));
    await this.ensureNameFree(request.projectId, name);
    const id = await createAsset(this.prisma, {
      projectId: request.projectId,
      name,
      qualifiedName: `files/${stored.relative}`,
      kind: "file",
      format,
      location: stored.relative,
      description: request.description,
      ownerId: userId,
      tags: request.tags,
      sizeBytes: stored.sizeBytes,
      columns:
        format === "csv" && !stored.isDirectory
          ? (await stored.readHeader()).map((column) => ({ name: column, dataType: "unknown" }))
          : [],
      profileStatus: "queued",
    });
    await this.profiler.enqueue(id, userId);
    return await this.summaryOf(id, userId);
  }

  /** Registers a file or folder already in the project's storage, or a table behind a connection. */
  async registerFromRequest(request: TRegisterAssetRequest, userId: string): Promise<TAssetSummary> {
    if (request.source === "path" && this.options.objectStore) {
      return await this.registerStoredObject(request, userId, this.options.objectStore.store);
    }
    if (request.source === "path") {
      const absolute = await resolveProjectPath(this.storageRoot, request.projectId, request.path);
      const stored = await describeStoredData(absolute);
      return await this.registerStoredFile(request, userId, {
        ...stored,
        relative: toProjectRelative(this.storageRoot, request.projectId, absolute),
        readHeader: () => readCsvHeader(absolute),
      });
    }
    const connection = await getConnection(this.prisma, request.connectionId);
    // A connection of another project is as unknown here as one that does not exist.
    if (connection.projectId !== request.projectId) {
      throw new CatalogError("not_found", "Connection not found, or you do not have access to it.");
    }
    const secret = await loadConnectionSecret(this.prisma, this.options.secretKey, request.connectionId);
    const { schema, table } = splitTableName(request.table);
    const described = await describeSourceTable(secret, this.connectionPolicy, schema, table);
    const name = parseName(request.name ?? nameFromFileName(table));
    await this.ensureNameFree(request.projectId, name);
    const id = await createAsset(this.prisma, {
      projectId: request.projectId,
      name,
      qualifiedName: `postgresql://${connection.host}:${connection.port}/${connection.database}/${schema}.${table}`,
      kind: "table",
      format: "jdbc",
      location: `${schema}.${table}`,
      connectionId: connection.id,
      description: request.description,
      ownerId: userId,
      tags: request.tags,
      rowCount: described.rowEstimate,
      sizeBytes: described.sizeBytes,
      columns: described.columns,
      profileStatus: "queued",
    });
    await this.profiler.enqueue(id, userId);
    return await this.summaryOf(id, userId);
  }

  /** One asset with schema, latest profile, lineage and snippets (the caller has authorized it). */
  async getAsset(assetId: string, viewer: TViewer, canEdit: boolean): Promise<TAsset> {
    const [summary] = await loadSummaries(this.prisma, [assetId], viewer);
    if (!summary) throw assetNotFound();
    const row = await this.prisma.catalogAsset.findUniqueOrThrow({
      where: { id: assetId },
      select: {
        location: true,
        connectionId: true,
        columns: true,
      },
    });
    const [latestProfile, lineage, connection] = await Promise.all([
      getLatestProfileRun(this.prisma, assetId),
      getLineage(this.prisma, assetId, summary.projectId),
      row.connectionId ? getConnection(this.prisma, row.connectionId) : Promise.resolve(null),
    ]);
    return {
      ...summary,
      location: row.location,
      connection,
      columns: parseStoredColumns(row.columns),
      latestProfile,
      lineage,
      snippets: buildSnippets(summary.name),
      canEdit,
    };
  }

  /** Records a use of an asset and schedules a popularity refresh. */
  async recordUse(
    assetId: string,
    userId: string,
    kind: TUsageKind,
    notebookId?: string | null,
  ): Promise<void> {
    await recordUsage(this.prisma, { assetId, userId, kind, notebookId });
    this.popularity.schedule();
  }

  /**
   * Finds the asset a kernel means by `name` (name, qualified name or id) among the assets the
   * viewer may see. A notebook token's own project wins over the projects its notebook was
   * forked from, a nearer source over a farther one, then an exact-case name; a tie across
   * projects needs `projectId`.
   *
   * When nothing is found and `forkSources` are given (a notebook token's), a fork source
   * whose project the user cannot read but may know of (its notebook is published, so the
   * project's name is public) is checked too: an asset there is named with its project and
   * how to get access. Anything else stays "not found", whether it exists or not.
   * @throws CatalogError 404 (unknown and invisible alike), 403 naming a published source's
   *   project, 409 when several projects match.
   */
  async findByName(
    viewer: TViewer,
    name: string,
    projectId?: string,
    forkSources: readonly TForkSource[] = [],
  ): Promise<string> {
    const params = new SqlParams();
    const value = params.add(name.toLowerCase());
    const scope = viewer.projectScope ? params.add([...viewer.projectScope]) : null;
    const rows = await this.prisma.$queryRawUnsafe<
      { id: string; projectName: string; isExactCase: boolean; scopeRank: number }[]
    >(
      `select a.id, p.name as "projectName", (a.name = ${params.add(name)}) as "isExactCase",
              ${scope ? `coalesce(array_position(${scope}::text[], a."projectId"), 0)` : "0"}::int as "scopeRank"
       from catalog_asset a join project p on p.id = a."projectId"
       where ${visibleProjectsCondition(params, viewer)}
         and (lower(a.name) = ${value} or lower(a."qualifiedName") = ${value} or a.id = ${params.add(name)})
         ${projectId ? `and a."projectId" = ${params.add(projectId)}` : ""}
       order by "scopeRank", "isExactCase" desc limit 10`,
      ...params.values,
    );
    const first = rows[0];
    if (!first) {
      const elsewhere = await this.findInUnreadableSources(viewer.userId, name, projectId, forkSources);
      if (elsewhere) {
        throw new CatalogError(
          "forbidden",
          `Asset ${elsewhere.assetName} belongs to project ${elsewhere.projectName} (this notebook was forked from it), which you are not a member of: ask its admin for access (a viewer can load it).`,
        );
      }
      throw assetNotFound();
    }
    const nearest = rows.filter((row) => row.scopeRank === first.scopeRank);
    const exact = nearest.filter((row) => row.isExactCase);
    if (exact.length > 1 || (exact.length === 0 && nearest.length > 1)) {
      const projects = [...new Set(nearest.map((row) => row.projectName))].join(", ");
      throw new CatalogError(
        "conflict",
        `Several assets are named ${name} (projects: ${projects}); pass project_id.`,
      );
    }
    return (exact[0] ?? first).id;
  }

  /**
   * An asset named `name` in the project of a published fork source that the user is not a
   * member of (nearest source first), or null.
   */
  private async findInUnreadableSources(
    userId: string,
    name: string,
    projectId: string | undefined,
    forkSources: readonly TForkSource[],
  ): Promise<{ assetName: string; projectName: string } | null> {
    // Only sources whose notebook is published: the names of other projects stay unknown.
    const projects = [
      ...new Set(forkSources.filter((source) => source.isPublished).map((source) => source.projectId)),
    ].filter((id) => !projectId || id === projectId);
    if (projects.length === 0) return null;
    const params = new SqlParams();
    const value = params.add(name.toLowerCase());
    const ordered = params.add(projects);
    const rows = await this.prisma.$queryRawUnsafe<{ assetName: string; projectName: string }[]>(
      `select a.name as "assetName", p.name as "projectName"
       from catalog_asset a join project p on p.id = a."projectId"
       where a."projectId" = any(${ordered}::text[])
         and a."projectId" not in (select pm."projectId" from project_member pm where pm."userId" = ${params.add(userId)})
         and (lower(a.name) = ${value} or lower(a."qualifiedName") = ${value} or a.id = ${params.add(name)})
       order by array_position(${ordered}::text[], a."projectId") limit 1`,
      ...params.values,
    );
    return rows[0] ?? null;
  }

  /**
   * How a kernel reads an asset; records the read (usage and lineage). A kernel of
   * `readerProjectId` holds only that project's storage in its sandbox: a file asset of another
   * project (a fork's source) is streamed to it through the API instead of read by path.
   */
  async prepareLoad(
    assetId: string,
    viewer: TViewer,
    notebookId: string | null,
    readerProjectId: string | null = null,
  ): Promise<TLoadResponse> {
    const [summary] = await loadSummaries(this.prisma, [assetId], viewer);
    if (!summary) throw assetNotFound();
    const row = await this.prisma.catalogAsset.findUniqueOrThrow({
      where: { id: assetId },
      select: { projectId: true, kind: true, format: true, location: true },
    });
    let read: TLoadResponse["read"];
    if (row.kind === "file" && this.options.objectStore) {
      // Every kernel reads the bucket itself (s3a://), whichever project the asset is in.
      const { store } = this.options.objectStore;
      const key = projectKey(row.projectId, row.location);
      const format = row.format as "csv" | "json" | "parquet";
      const stored = await describeStoredObject(store, key).catch((error) => {
        throw error instanceof CatalogError && error.code === "not_found" ? missingData() : error;
      });
      read = {
        type: "file",
        format,
        path: store.sparkUri(key),
        options: await readOptionsForObject(store, format, key, stored.isDirectory),
      };
    } else if (row.kind === "file") {
      const absolute = await resolveProjectPath(this.storageRoot, row.projectId, row.location);
      const format = row.format as "csv" | "json" | "parquet";
      const options = await readOptionsFor(format, absolute);
      read =
        readerProjectId && readerProjectId !== row.projectId
          ? {
              type: "download",
              url: `/api/v1/catalog/assets/${assetId}/content`,
              format,
              isFolder: (await statStored(absolute)).isDirectory(),
              options,
            }
          : { type: "file", format, path: absolute, options };
    } else if (row.kind === "table") {
      read = {
        type: "rows",
        url: `/api/v1/catalog/assets/${assetId}/rows`,
        schema: (await getProfiledSchema(this.prisma, assetId)) ?? [],
      };
    } else {
      read = { type: "spark_table", table: row.location };
    }
    await this.recordUse(assetId, viewer.userId, "notebook_read", notebookId);
    return { asset: summary, read };
  }

  /**
   * Streams a file asset's bytes (a folder, e.g. a Spark-written dataset, as a tar archive of its
   * contents), for kernels whose sandbox does not hold the asset's project.
   */
  async streamContent(
    assetId: string,
  ): Promise<{ stream: ReadableStream<Uint8Array>; name: string; isFolder: boolean }> {
    const row = await this.prisma.catalogAsset.findUnique({
      where: { id: assetId },
      select: { name: true, kind: true, location: true, projectId: true },
    });
    if (!row) throw assetNotFound();
    if (row.kind !== "file") {
      throw new CatalogError("bad_request", "Only file assets have content to download; tables stream rows.");
    }
    if (this.options.objectStore) {
      const { store } = this.options.objectStore;
      const key = projectKey(row.projectId, row.location);
      const stream = await store.get(key).catch((error) => {
        throw fromStorageError(error);
      });
      if (!stream) {
        throw new CatalogError(
          "bad_request",
          "This asset is a folder in the bucket; Spark reads it directly (flint.catalog.load).",
        );
      }
      return {
        stream: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
        name: row.name,
        isFolder: false,
      };
    }
    const absolute = await resolveProjectPath(this.storageRoot, row.projectId, row.location);
    if ((await statStored(absolute)).isDirectory()) {
      // tar reads the folder itself (no shell): names are relative to it.
      const tar = spawn("tar", ["-c", "-C", absolute, "."], { stdio: ["ignore", "pipe", "ignore"] });
      return {
        stream: Readable.toWeb(tar.stdout) as ReadableStream<Uint8Array>,
        name: row.name,
        isFolder: true,
      };
    }
    return {
      stream: Readable.toWeb(createReadStream(absolute)) as ReadableStream<Uint8Array>,
      name: row.name,
      isFolder: false,
    };
  }

  /** Streams a connection table's rows as CSV (for kernels: the password stays here). */
  async streamRows(assetId: string): Promise<{ stream: ReadableStream<Uint8Array>; name: string }> {
    const row = await this.prisma.catalogAsset.findUnique({
      where: { id: assetId },
      select: { name: true, kind: true, location: true, connectionId: true },
    });
    if (!row) throw assetNotFound();
    if (row.kind !== "table" || !row.connectionId) {
      throw new CatalogError(
        "bad_request",
        "Only connection tables stream rows; files are read by Spark directly.",
      );
    }
    const secret = await loadConnectionSecret(this.prisma, this.options.secretKey, row.connectionId);
    const { schema, table } = splitTableName(row.location);
    return { stream: streamSourceTableCsv(secret, this.connectionPolicy, schema, table), name: row.name };
  }

  /**
   * Where a notebook writes a DataFrame it registers as `name`: a folder under the project's
   * `datasets/`. An existing asset of that name is only replaced with `overwrite`.
   */
  async writeTarget(
    projectId: string,
    name: string,
    format: "parquet" | "csv" | "json",
    overwrite: boolean,
  ): Promise<{ path: string; relativePath: string; projectId: string }> {
    const existing = await this.prisma.catalogAsset.findFirst({
      where: { projectId, name: { equals: name, mode: "insensitive" } },
      select: { id: true, kind: true, location: true },
    });
    if (existing && !overwrite) {
      throw new CatalogError(
        "conflict",
        `The project already has an asset named ${name}; pass overwrite=True to replace it.`,
      );
    }
    if (existing && (existing.kind !== "file" || !existing.location.startsWith(`${DATASETS}/`))) {
      throw new CatalogError(
        "conflict",
        `The asset ${name} is not a dataset written from a notebook; choose another name.`,
      );
    }
    const relativePath = `${DATASETS}/${safeFileName(name, null)}.${format}`;
    if (this.options.objectStore) {
      return {
        path: this.options.objectStore.store.sparkUri(projectKey(projectId, relativePath)),
        relativePath,
        projectId,
      };
    }
    const absolute = await resolveProjectPath(this.storageRoot, projectId, relativePath);
    return { path: absolute, relativePath, projectId };
  }

  /** Registers (or refreshes) what a notebook wrote to its write target; records the write. */
  async registerWritten(
    projectId: string,
    userId: string,
    request: {
      name: string;
      path: string;
      format: "parquet" | "csv" | "json";
      description: string;
      tags: string[];
      columns?: { name: string; dataType: string; nullable: boolean }[];
      notebookId?: string;
    },
  ): Promise<TAssetSummary> {
    const expected = await this.writeTarget(projectId, request.name, request.format, true);
    if (request.path !== expected.relativePath) {
      throw new CatalogError(
        "bad_request",
        `Write the DataFrame to the path the write target named (${expected.relativePath}).`,
      );
    }
    const stored = this.options.objectStore
      ? await describeStoredObject(
          this.options.objectStore.store,
          projectKey(projectId, expected.relativePath),
        )
      : await describeStoredData(expected.path);
    checkWriteComplete(stored, expected.relativePath);
    const existing = await this.prisma.catalogAsset.findFirst({
      where: { projectId, name: { equals: request.name, mode: "insensitive" } },
      select: { id: true },
    });
    let id: string;
    if (existing) {
      id = existing.id;
      await this.prisma.catalogAsset.update({
        where: { id },
        data: {
          sizeBytes: BigInt(stored.sizeBytes),
          ...(request.description ? { description: request.description } : {}),
          ...(request.tags.length > 0 ? { tags: request.tags } : {}),
        },
      });
      if (request.columns) await replaceColumns(this.prisma, id, request.columns);
    } else {
      id = await createAsset(this.prisma, {
        projectId,
        name: request.name,
        qualifiedName: `files/${expected.relativePath}`,
        kind: "file",
        format: request.format,
        location: expected.relativePath,
        description: request.description,
        ownerId: userId,
        tags: request.tags,
        sizeBytes: stored.sizeBytes,
        columns: request.columns ?? [],
        profileStatus: "queued",
      });
    }
    await this.recordUse(id, userId, "notebook_write", request.notebookId ?? null);
    await this.profiler.enqueue(id, userId);
    return await this.summaryOf(id, userId);
  }

  /**
   * Registers (or refreshes) a Spark table a notebook's session holds, with the schema and the
   * profile the kernel computed (the profiler's own Spark process cannot see the table). Loading
   * it answers `spark.table(...)`: it reads in sessions that have the table.
   */
  async registerSparkTable(
    projectId: string,
    userId: string,
    request: TRegisterSparkTableRequest,
  ): Promise<TAssetSummary> {
    // Spark's defaults fill what the name leaves out: `t` is spark_catalog.default.t, `db.t`
    // spark_catalog.db.t.
    const parts = request.table.split(".");
    if (parts.length === 1) parts.unshift("default");
    if (parts.length === 2) parts.unshift("spark_catalog");
    const qualifiedName = parts.join(".");
    const existing = await this.prisma.catalogAsset.findFirst({
      where: { projectId, name: { equals: request.name, mode: "insensitive" } },
      select: { id: true, kind: true },
    });
    if (existing && existing.kind !== "spark_table") {
      throw new CatalogError(
        "conflict",
        `The project already has an asset named ${request.name} that is not a Spark table; choose another name.`,
      );
    }
    let id: string;
    if (existing) {
      id = existing.id;
      await this.prisma.catalogAsset.update({
        where: { id },
        data: {
          location: request.table,
          qualifiedName,
          ...(request.description ? { description: request.description } : {}),
          ...(request.tags.length > 0 ? { tags: request.tags } : {}),
        },
      });
      await replaceColumns(this.prisma, id, request.columns);
    } else {
      id = await createAsset(this.prisma, {
        projectId,
        name: request.name,
        qualifiedName,
        kind: "spark_table",
        format: "spark",
        location: request.table,
        description: request.description,
        ownerId: userId,
        tags: request.tags,
        columns: request.columns,
      });
    }
    await this.recordUse(id, userId, "notebook_write", request.notebookId ?? null);
    if (request.profile) await this.profiler.record(id, userId, request.profile);
    return await this.summaryOf(id, userId);
  }

  /** Deletes an uploaded file of an asset being deleted (notebook datasets and other paths stay). */
  async removeUploadedFile(projectId: string, location: string): Promise<void> {
    if (!location.startsWith(`${UPLOADS}/`)) return;
    if (this.options.objectStore) {
      await this.options.objectStore.store.remove(projectKey(projectId, location)).catch((error) => {
        throw fromStorageError(error);
      });
      return;
    }
    const absolute = await resolveProjectPath(this.storageRoot, projectId, location);
    await rm(absolute, { force: true, recursive: false });
  }
}

/** The 404 of an asset whose data is gone from storage. */
function missingData(): CatalogError {
  return new CatalogError(
    "not_found",
    "This asset's data is missing from its project's storage; upload or register it again.",
  );
}

/**
 * A notebook's write must have landed before it is recorded: data files that are not empty, and
 * nothing left in Spark's `_temporary` (tasks whose output was never committed, as on a cluster
 * whose workers cannot write where the driver reads).
 */
function checkWriteComplete(
  stored: { sizeBytes: number; isDirectory: boolean; dataFiles?: number; pendingFiles?: number },
  relativePath: string,
): void {
  if ((stored.pendingFiles ?? 0) > 0 || (stored.isDirectory && (stored.dataFiles ?? 1) === 0)) {
    throw new CatalogError(
      "bad_request",
      `The DataFrame's files did not all arrive in ${relativePath} (${stored.pendingFiles ?? 0} left in _temporary, ${stored.dataFiles ?? 0} data files): Spark's workers must write to storage the driver reads. Use FLINT_STORAGE_URL=s3://... on a cluster, then register again.`,
    );
  }
}

/** Creates the catalog of one Flint process (nothing runs until a profile is queued). */
export function createCatalog(options: TCatalogOptions): Catalog {
  return new Catalog(options);
}
