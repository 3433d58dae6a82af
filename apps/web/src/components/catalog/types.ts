// Shapes of the catalog API's answers as the pages use them (the API's zod schemas in
// packages/catalog/src/schemas.ts are the source of truth).

export interface TColumn {
  name: string;
  dataType: string;
  nullable: boolean;
  description: string;
}

export interface TAssetSummary {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  qualifiedName: string;
  kind: "file" | "table" | "spark_table";
  format: string;
  description: string;
  owner: { id: string; name: string } | null;
  tags: string[];
  rowCount: number | null;
  sizeBytes: number | null;
  columnCount: number;
  profileStatus: "none" | "queued" | "running" | "done" | "failed";
  popularity: number;
  usage30d: number;
  createdAt: string;
  updatedAt: string;
}

export interface TSearchHit extends TAssetSummary {
  score: number;
  matchedColumns: { name: string; dataType: string }[];
}

export interface TFacetValue {
  value: string;
  label: string;
  count: number;
}

export interface TSearchResponse {
  items: TSearchHit[];
  total: number;
  isTotalCapped: boolean;
  facets: Record<"kind" | "format" | "tag" | "owner" | "project", TFacetValue[]>;
  correctedQuery: string | null;
  columnSearch: string[];
}

export interface TColumnProfile {
  name: string;
  dataType: string;
  nullCount: number;
  nullFraction: number;
  distinctCount: number | null;
  min: string | number | null;
  max: string | number | null;
  mean: number | null;
  stddev: number | null;
  quantiles: Record<"p05" | "p25" | "p50" | "p75" | "p95", number> | null;
  histogram: { edges: number[]; counts: number[] } | null;
  topValues: { value: string | null; count: number }[] | null;
}

export interface TProfileRun {
  id: string;
  status: "queued" | "running" | "done" | "failed";
  progress: number;
  message: string;
  rowCount: number | null;
  profiledRows: number | null;
  isSampled: boolean;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** While queued: 1 when it runs next. */
  queuePosition: number | null;
  /** While queued: about how many seconds until it starts. */
  estimatedStartSeconds: number | null;
  result: {
    rowCount: number;
    profiledRows: number;
    isSampled: boolean;
    columns: TColumnProfile[];
    preview: { columns: string[]; rows: (string | null)[][] };
  } | null;
}

export interface TLineageEntry {
  notebookId: string;
  notebookName: string;
  projectId: string;
  count: number;
  lastAt: string;
  user: { id: string; name: string } | null;
}

export interface TConnection {
  id: string;
  projectId: string;
  name: string;
  host: string;
  port: number;
  database: string;
  username: string;
  hasPassword: boolean;
}

export interface TAsset extends TAssetSummary {
  location: string;
  connection: TConnection | null;
  columns: TColumn[];
  latestProfile: TProfileRun | null;
  lineage: { readBy: TLineageEntry[]; writtenBy: TLineageEntry[] };
  snippets: { spark: string; pandas: string; sql: string };
  canEdit: boolean;
}

export interface TProjectOption {
  id: string;
  name: string;
  role: "viewer" | "runner" | "editor" | "admin";
}
