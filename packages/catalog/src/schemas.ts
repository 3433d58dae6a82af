/**
 * The catalog's request and response schemas. The API declares its routes with these, so the
 * OpenAPI document and the validation come from one place; pages use the inferred types.
 */
import { z } from "zod";

const ZIdString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");

/** An asset name: what `flint.catalog.load(name)` takes. Letters, digits, `_ - .`, no spaces. */
export const ZAssetName = z
  .string()
  .trim()
  .min(1, "an asset needs a name")
  .max(128)
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u,
    "use letters, digits, '_', '-' and '.', starting with a letter or digit (no spaces)",
  );

/** A tag: lowercase words joined by `-` or `_`. */
export const ZTag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u, "tags are letters, digits, '-' and '_'");

/** Kinds of assets. */
export const ZAssetKind = z.enum(["file", "table", "spark_table"]);
/** Formats Spark reads them in. */
export const ZAssetFormat = z.enum(["csv", "json", "parquet", "jdbc", "spark"]);
export type TAssetFormat = z.infer<typeof ZAssetFormat>;
/** States of a profiling job, and `none` before the first one. */
export const ZProfileStatus = z.enum(["none", "queued", "running", "done", "failed"]);

/** A column of an asset. */
export const ZColumn = z.object({
  name: z.string(),
  dataType: z.string(),
  nullable: z.boolean(),
  description: z.string(),
});
export type TColumn = z.infer<typeof ZColumn>;

/** Statistics of one column from a profiling run. */
export const ZColumnProfile = z.object({
  name: z.string(),
  dataType: z.string(),
  nullCount: z.number(),
  nullFraction: z.number(),
  distinctCount: z.number().nullable().describe("Approximate (HyperLogLog)."),
  min: z.union([z.string(), z.number()]).nullable(),
  max: z.union([z.string(), z.number()]).nullable(),
  mean: z.number().nullable(),
  stddev: z.number().nullable(),
  quantiles: z
    .object({ p05: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p95: z.number() })
    .nullable()
    .describe("Approximate percentiles of numeric columns."),
  histogram: z
    .object({ edges: z.array(z.number()), counts: z.array(z.number()) })
    .nullable()
    .describe("Equal-width bins of numeric columns: counts[i] is in [edges[i], edges[i+1])."),
  topValues: z
    .array(z.object({ value: z.string().nullable(), count: z.number() }))
    .nullable()
    .describe("Most frequent values of non-numeric columns."),
});
export type TColumnProfile = z.infer<typeof ZColumnProfile>;

/** What the profiling script writes back (also validated when it is read). */
export const ZProfileResult = z.object({
  rowCount: z.number(),
  profiledRows: z.number(),
  isSampled: z.boolean(),
  schema: z.array(z.object({ name: z.string(), dataType: z.string(), nullable: z.boolean() })),
  columns: z.array(ZColumnProfile),
  preview: z.object({
    columns: z.array(z.string()),
    rows: z.array(z.array(z.string().nullable())),
  }),
  sizeBytes: z.number().nullable().optional(),
});
export type TProfileResult = z.infer<typeof ZProfileResult>;

/** A profiling run as the API shows it. */
export const ZProfileRun = z.object({
  id: z.string(),
  status: z.enum(["queued", "running", "done", "failed"]),
  progress: z.number().describe("0..1 while running."),
  message: z.string(),
  rowCount: z.number().nullable(),
  profiledRows: z.number().nullable(),
  isSampled: z.boolean().describe("False: the statistics used all rows; true: a sample of profiledRows."),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  result: ZProfileResult.nullable(),
  queuePosition: z
    .number()
    .int()
    .nullable()
    .describe("While queued: 1 when it runs next. Queues take turns between the people who asked."),
  estimatedStartSeconds: z
    .number()
    .nullable()
    .describe("While queued: about how many seconds until it starts, from recent profiles' durations."),
});
export type TProfileRun = z.infer<typeof ZProfileRun>;

const ZPerson = z.object({ id: z.string(), name: z.string() });

/** An asset in lists and search results. */
export const ZAssetSummary = z.object({
  id: z.string(),
  projectId: z.string(),
  projectName: z.string(),
  name: z.string(),
  qualifiedName: z.string(),
  kind: ZAssetKind,
  format: ZAssetFormat,
  description: z.string(),
  owner: ZPerson.nullable(),
  tags: z.array(z.string()),
  rowCount: z.number().nullable(),
  sizeBytes: z.number().nullable(),
  columnCount: z.number(),
  profileStatus: ZProfileStatus,
  popularity: z.number(),
  usage30d: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TAssetSummary = z.infer<typeof ZAssetSummary>;

/** Code that loads an asset, per language, for "Insert into notebook". */
export const ZSnippets = z.object({ spark: z.string(), pandas: z.string(), sql: z.string() });
export type TSnippets = z.infer<typeof ZSnippets>;

/** A notebook that read or wrote an asset. */
export const ZLineageEntry = z.object({
  notebookId: z.string(),
  notebookName: z.string(),
  projectId: z.string(),
  count: z.number(),
  lastAt: z.string(),
  user: ZPerson.nullable(),
});

/** Connection details as the API shows them: never the password. */
export const ZConnection = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  kind: z.literal("postgresql"),
  host: z.string(),
  port: z.number(),
  database: z.string(),
  username: z.string(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
});
export type TConnection = z.infer<typeof ZConnection>;

/** One asset with its schema, latest profile, lineage and snippets. */
export const ZAsset = ZAssetSummary.extend({
  location: z.string().describe("Files: path in the project's storage; tables: schema.table."),
  connection: ZConnection.nullable(),
  columns: z.array(ZColumn),
  latestProfile: ZProfileRun.nullable(),
  lineage: z.object({ readBy: z.array(ZLineageEntry), writtenBy: z.array(ZLineageEntry) }),
  snippets: ZSnippets,
  canEdit: z.boolean(),
});
export type TAsset = z.infer<typeof ZAsset>;

/** A search hit: the asset, its score and the columns that matched. */
export const ZSearchHit = ZAssetSummary.extend({
  score: z.number(),
  matchedColumns: z.array(z.object({ name: z.string(), dataType: z.string() })),
});
export type TSearchHit = z.infer<typeof ZSearchHit>;

const ZFacetValue = z.object({ value: z.string(), label: z.string(), count: z.number() });
export type TFacetValue = z.infer<typeof ZFacetValue>;

/** The answer of a catalog search. */
export const ZSearchResponse = z.object({
  items: z.array(ZSearchHit),
  total: z.number().describe("Matches counted, at most the candidate cap."),
  isTotalCapped: z.boolean().describe("True when more matches exist than were counted."),
  facets: z.object({
    kind: z.array(ZFacetValue),
    format: z.array(ZFacetValue),
    tag: z.array(ZFacetValue),
    owner: z.array(ZFacetValue),
    project: z.array(ZFacetValue),
  }),
  correctedQuery: z
    .string()
    .nullable()
    .describe("Set when nothing matched as typed and a spelling correction was searched."),
  columnSearch: z.array(z.string()).describe("Column names the query searched for."),
});
export type TSearchResponse = z.infer<typeof ZSearchResponse>;

/** Search parameters. */
export const ZSearchQuery = z.object({
  q: z.string().max(500).default("").describe("Words, `col:name`, `tag:`, `owner:`, `kind:`, `project:`."),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1000).default(0),
});

/** Autocomplete suggestions. */
export const ZAutocompleteResponse = z.object({
  suggestions: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      qualifiedName: z.string(),
      kind: ZAssetKind,
      projectName: z.string(),
    }),
  ),
});

/** Registers a file already in the project's storage, or a table behind a connection. */
export const ZRegisterAssetRequest = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("path"),
    projectId: ZIdString,
    path: z.string().min(1).max(1000).describe("Relative to the project's storage folder."),
    name: ZAssetName.optional(),
    format: z.enum(["csv", "json", "parquet"]).optional().describe("Default: from the file extension."),
    description: z.string().max(10_000).default(""),
    tags: z.array(ZTag).max(20).default([]),
  }),
  z.strictObject({
    source: z.literal("connection"),
    projectId: ZIdString,
    connectionId: ZIdString,
    table: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^.\s]+(\.[^.\s]+)?$/, "use table or schema.table")
      .describe("schema.table (schema defaults to public)."),
    name: ZAssetName.optional(),
    description: z.string().max(10_000).default(""),
    tags: z.array(ZTag).max(20).default([]),
  }),
]);
export type TRegisterAssetRequest = z.infer<typeof ZRegisterAssetRequest>;

/** Edits of an asset's documentation. */
export const ZUpdateAssetRequest = z.strictObject({
  description: z.string().max(10_000).optional(),
  tags: z.array(ZTag).max(20).optional(),
  columns: z
    .array(z.strictObject({ name: z.string().min(1), description: z.string().max(2000) }))
    .max(2000)
    .optional()
    .describe("Column descriptions by column name."),
});
export type TUpdateAssetRequest = z.infer<typeof ZUpdateAssetRequest>;

/** A new PostgreSQL connection. */
export const ZCreateConnectionRequest = z.strictObject({
  projectId: ZIdString,
  name: z.string().trim().min(1, "a connection needs a name").max(100),
  host: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9.:_-]+$/, "a host name or IP address"),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().trim().min(1).max(63),
  username: z.string().trim().min(1).max(63),
  password: z.string().max(1000).default(""),
});
export type TCreateConnectionRequest = z.infer<typeof ZCreateConnectionRequest>;

/** A table of a connection's database that could be registered. */
export const ZSourceTable = z.object({
  schema: z.string(),
  table: z.string(),
  kind: z.enum(["table", "view"]),
  registeredAssetId: z.string().nullable(),
});

/** What a kernel asks for to load an asset into Spark. */
export const ZLoadRequest = z.strictObject({
  name: z.string().min(1).max(1000).describe("Asset name, qualified name or id."),
  projectId: ZIdString.optional().describe("Needed when the name exists in several of your projects."),
  notebookId: ZIdString.optional(),
});

/** How a kernel reads an asset. Paths are absolute on the Flint server's file system. */
export const ZLoadResponse = z.object({
  asset: ZAssetSummary,
  read: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("file"),
      format: z.enum(["csv", "json", "parquet"]),
      path: z.string(),
      options: z.record(z.string(), z.string()),
    }),
    z.object({
      type: z.literal("rows"),
      url: z
        .string()
        .describe("API path that streams the table as CSV with a header (credentials stay on the server)."),
      schema: z.array(z.object({ name: z.string(), dataType: z.string() })),
    }),
    z.object({ type: z.literal("spark_table"), table: z.string() }),
    z.object({
      type: z.literal("download"),
      url: z
        .string()
        .describe(
          "API path that streams the file (a folder as a tar archive): for a kernel whose sandbox does not hold the asset's project.",
        ),
      format: z.enum(["csv", "json", "parquet"]),
      isFolder: z.boolean(),
      options: z.record(z.string(), z.string()),
    }),
  ]),
});
export type TLoadResponse = z.infer<typeof ZLoadResponse>;

/**
 * Registration of a Spark table by the notebook whose Spark session holds it. Spark tables live in
 * a session's catalog (or a shared metastore), so the kernel reports the schema and, since the
 * profiler's separate Spark process cannot see the table, the profile it computed itself.
 */
export const ZRegisterSparkTableRequest = z.strictObject({
  name: ZAssetName,
  table: z
    .string()
    .min(1)
    .max(500)
    .regex(
      /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,2}$/,
      "a table name like sales, db.sales or spark_catalog.db.sales",
    )
    .describe("The table as Spark names it: table, db.table or catalog.db.table."),
  projectId: ZIdString.optional(),
  notebookId: ZIdString.optional(),
  description: z.string().max(10_000).default(""),
  tags: z.array(ZTag).max(20).default([]),
  columns: z
    .array(
      z.object({ name: z.string().min(1).max(500), dataType: z.string().max(500), nullable: z.boolean() }),
    )
    .max(5000),
  profile: ZProfileResult.optional().describe("The profile the kernel computed over the table."),
});
export type TRegisterSparkTableRequest = z.infer<typeof ZRegisterSparkTableRequest>;

/** Where a kernel writes a DataFrame it registers (the API decides, inside the project's storage). */
export const ZWriteTargetRequest = z.strictObject({
  name: ZAssetName,
  projectId: ZIdString.optional(),
  format: z.enum(["parquet", "csv", "json"]).default("parquet"),
});

/** Registration of what a kernel wrote to its write target. */
export const ZRegisterWrittenRequest = z.strictObject({
  name: ZAssetName,
  projectId: ZIdString.optional(),
  notebookId: ZIdString.optional(),
  path: z.string().min(1).max(1000).describe("The path the write target named, relative to project storage."),
  format: z.enum(["parquet", "csv", "json"]).default("parquet"),
  description: z.string().max(10_000).default(""),
  tags: z.array(ZTag).max(20).default([]),
  columns: z
    .array(
      z.object({ name: z.string().min(1).max(500), dataType: z.string().max(500), nullable: z.boolean() }),
    )
    .max(5000)
    .optional()
    .describe("The DataFrame's schema, so the asset is searchable by column at once."),
});
