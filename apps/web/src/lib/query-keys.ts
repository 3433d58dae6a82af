// Every TanStack Query key the web app uses, in one place, so a change knows what it makes stale:
// keys are nested (a project's notebooks sit under the project), and a mutation invalidates the
// narrowest key that holds what it changed.

/** Query keys by resource. */
export const queryKeys = {
  me: () => ["me"] as const,
  notifications: () => ["me", "notifications"] as const,
  tokens: () => ["me", "tokens"] as const,
  signUpStatus: (invite: string | null) => ["sign-up", invite] as const,

  projects: () => ["projects"] as const,
  project: (projectId: string) => ["projects", projectId] as const,
  projectNotebooks: (projectId: string) => ["projects", projectId, "notebooks"] as const,
  projectFiles: (projectId: string, path: string) => ["projects", projectId, "files", path] as const,
  projectFilesAll: (projectId: string) => ["projects", projectId, "files"] as const,
  projectTrash: (projectId: string) => ["projects", projectId, "trash"] as const,
  projectCharts: (projectId: string) => ["projects", projectId, "charts"] as const,
  projectMembers: (projectId: string) => ["projects", projectId, "members"] as const,
  projectJobs: (projectId: string) => ["projects", projectId, "jobs"] as const,
  job: (jobId: string) => ["jobs", jobId] as const,
  jobRun: (runId: string) => ["job-runs", runId] as const,
  /** The Models tab: experiments and runs (all, or those trained on one asset), registered models, a run's metric history. */
  projectModelRuns: (projectId: string, assetId?: string) =>
    ["projects", projectId, "models", "runs", assetId ?? "all"] as const,
  projectRegisteredModels: (projectId: string) => ["projects", projectId, "models", "registered"] as const,
  runMetricHistory: (projectId: string, runId: string) =>
    ["projects", projectId, "models", "metrics", runId] as const,
  /** Batch scoring runs of a project: of one model, or that read or produced one asset. */
  projectBatchScores: (projectId: string, filter: { modelName?: string; assetId?: string }) =>
    ["projects", projectId, "models", "batch-scores", filter.modelName ?? "", filter.assetId ?? ""] as const,
  /** A project's catalog assets (the batch scoring form's choice). */
  projectAssets: (projectId: string) => ["projects", projectId, "assets"] as const,
  projectDeployments: (projectId: string) => ["projects", projectId, "deployments"] as const,
  deployment: (projectId: string, name: string) => ["projects", projectId, "deployments", name] as const,

  /** The pages of a project's activity, or (null) the signed-in person's. */
  activity: (projectId: string | null) => ["activity", projectId] as const,

  chart: (chartId: string) => ["charts", chartId] as const,
  star: (type: "notebook" | "chart", id: string) => ["stars", type, id] as const,

  comments: (type: "notebook" | "chart", id: string) => ["comments", type, id] as const,
  checkpoints: (notebookId: string) => ["notebooks", notebookId, "checkpoints"] as const,
  publishedNotebook: (notebookId: string) => ["community", "notebooks", notebookId] as const,
  community: (sort: string, query: string) => ["community", "list", sort, query] as const,

  catalogSearch: (query: string) => ["catalog", "search", query] as const,
  catalogSearchAll: () => ["catalog", "search"] as const,
  catalogSuggestions: (text: string) => ["catalog", "suggestions", text] as const,
  /** The notebook's Data panel: a project's assets, or those matching `query`. */
  notebookCatalog: (projectId: string, query: string) => ["catalog", "project", projectId, query] as const,
  asset: (assetId: string) => ["catalog", "assets", assetId] as const,
  connections: (projectId: string) => ["catalog", "connections", projectId] as const,
  connectionTables: (connectionId: string) => ["catalog", "connection-tables", connectionId] as const,

  adminUsers: () => ["admin", "users"] as const,
  adminInvitations: () => ["admin", "invitations"] as const,
} as const;
