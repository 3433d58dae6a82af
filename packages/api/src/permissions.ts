/**
 * Who may do what, in a project and on the site: typed tables, read by the one authorization
 * check (`authorize` in authorize.ts) that every route and WebSocket command goes through.
 */
import type { TBrokerCommand } from "@flint/kernel/protocol";

type TBrokerCommandType = TBrokerCommand["type"];

/** Project roles, weakest first. */
export const PROJECT_ROLES = ["viewer", "runner", "editor", "admin"] as const;
export type TProjectRole = (typeof PROJECT_ROLES)[number];

/**
 * What a caller is to a resource: a member's role, or "public" for anyone (signed in or not)
 * looking at a notebook or chart published to the community.
 */
export type TAccessRole = TProjectRole | "public";

/** Every named permission and the roles that hold it. */
export const PERMISSIONS = {
  "project.read": ["viewer", "runner", "editor", "admin"],
  "project.manage": ["admin"],
  "notebook.read": ["public", "viewer", "runner", "editor", "admin"],
  "notebook.comment": ["viewer", "runner", "editor", "admin"],
  // Named versions may hold content that was never published: members only.
  "notebook.history": ["viewer", "runner", "editor", "admin"],
  // The full text of a run over the output cap belongs to the live notebook, which the public
  // never sees (it reads the published snapshot): members only.
  "notebook.fullOutput": ["viewer", "runner", "editor", "admin"],
  // The live notebook socket: members only; the public reads published notebooks over REST.
  "notebook.watch": ["viewer", "runner", "editor", "admin"],
  "notebook.run": ["runner", "editor", "admin"],
  // Which kernel runs the notebook (metadata.kernelspec, docs/spark.md): whoever may run and
  // restart it may choose it, as in JupyterLab's "Change kernel"; it is how a notebook runs, not
  // what its code says, and changing it costs what a restart costs.
  "notebook.kernel": ["runner", "editor", "admin"],
  "notebook.edit": ["editor", "admin"],
  "notebook.create": ["editor", "admin"],
  // Move to the trash, restore, delete forever (docs/notebooks.md): whoever may create may remove.
  "notebook.delete": ["editor", "admin"],
  "notebook.publish": ["admin"],
  "chart.read": ["public", "viewer", "runner", "editor", "admin"],
  "chart.comment": ["viewer", "runner", "editor", "admin"],
  "chart.create": ["editor", "admin"],
  "chart.edit": ["editor", "admin"],
  "chart.publish": ["admin"],
  // Catalog assets and connections follow their project: viewers read, editors register and edit.
  "catalog.read": ["viewer", "runner", "editor", "admin"],
  "catalog.write": ["editor", "admin"],
  // The project's folder on disk (what its kernels see as their working directory): members list
  // and download; editors upload, make folders and delete, as they may change notebooks.
  "files.read": ["viewer", "runner", "editor", "admin"],
  "files.write": ["editor", "admin"],
  // Jobs (docs/jobs.md): members see them and their runs; whoever may run the notebook may make a
  // job of it and run it (runs execute the saved notebook as the job's owner, as a runner's runs do).
  // Changing or deleting a job is also limited to its owner or a project admin (services/jobs.ts).
  "job.read": ["viewer", "runner", "editor", "admin"],
  "job.create": ["runner", "editor", "admin"],
  "job.run": ["runner", "editor", "admin"],
  // Experiments, runs, registered models and their artifacts (MLflow through Flint, docs/models.md):
  // members read; whoever may run the project's notebooks may log runs and register models from
  // them, as running a training cell does.
  "model.read": ["viewer", "runner", "editor", "admin"],
  "model.write": ["runner", "editor", "admin"],
  // Deployments put a model behind a URL that applications call with keys: whoever may change
  // the project's content may deploy, swap versions and hand out or revoke keys.
  "deployment.manage": ["editor", "admin"],
} as const satisfies Record<string, readonly TAccessRole[]>;

export type TPermission = keyof typeof PERMISSIONS;

/** True when `role` holds `permission`. */
export function hasPermission(role: TAccessRole, permission: TPermission): boolean {
  return (PERMISSIONS[permission] as readonly TAccessRole[]).includes(role);
}

/**
 * Site roles: every signed-in user, and site administrators (`User.isAdmin`). A site admin gets
 * no project rights from it: projects still answer by membership.
 */
export const SITE_ROLES = ["user", "admin"] as const;
export type TSiteRole = (typeof SITE_ROLES)[number];

/** Site-wide permissions and the site roles that hold them. */
export const SITE_PERMISSIONS = {
  // List users, disable and enable them (Administration page).
  "site.users": ["admin"],
  // Invite e-mail addresses, list and revoke invitations.
  "site.invitations": ["admin"],
  // Read and change one's own appearance and editor preferences.
  "account.preferences": ["user", "admin"],
  // The parts behind /api/health (versions, isolation, database errors): anyone gets the status.
  "site.health": ["admin"],
  // Every user: create a project (they become its admin).
  "project.create": ["user", "admin"],
  // Every user: list, create and revoke their own personal access tokens.
  "account.tokens": ["user", "admin"],
} as const satisfies Record<string, readonly TSiteRole[]>;

export type TSitePermission = keyof typeof SITE_PERMISSIONS;

/** True when `role` holds the site permission `permission`. */
export function hasSitePermission(role: TSiteRole, permission: TSitePermission): boolean {
  return (SITE_PERMISSIONS[permission] as readonly TSiteRole[]).includes(role);
}

/**
 * What a personal access token may do, weakest first; each scope includes the ones before it. A
 * session (the browser) acts with the user's full rights, as `admin`. The scope narrows what the
 * user's role allows and never widens it: a `write` token of a viewer still cannot edit.
 */
export const TOKEN_SCOPES = ["read", "run", "write", "admin"] as const;
export type TTokenScope = (typeof TOKEN_SCOPES)[number];

/**
 * The weakest token scope each permission needs (docs/security-model.md): `read` reads and
 * watches; `run` also runs cells; `write` also changes content (edit, create, comment, catalog
 * entries, new projects); `admin` also manages projects (members, publishing), the site, and the
 * user's own tokens (a token that could mint tokens would be worth any scope).
 */
export const TOKEN_SCOPE_OF = {
  "project.read": "read",
  "project.manage": "admin",
  "notebook.read": "read",
  "notebook.comment": "write",
  "notebook.history": "read",
  "notebook.fullOutput": "read",
  "notebook.watch": "read",
  "notebook.run": "run",
  "notebook.kernel": "run",
  "notebook.edit": "write",
  "notebook.create": "write",
  "notebook.delete": "write",
  "notebook.publish": "admin",
  "chart.read": "read",
  "chart.comment": "write",
  "chart.create": "write",
  "chart.edit": "write",
  "chart.publish": "admin",
  "catalog.read": "read",
  "catalog.write": "write",
  "files.read": "read",
  "files.write": "write",
  "job.read": "read",
  // A job runs again and again on its own: making one changes the project, as writing does.
  "job.create": "write",
  "job.run": "run",
  "model.read": "read",
  "model.write": "run",
  "deployment.manage": "write",
  "site.users": "admin",
  "site.invitations": "admin",
  "site.health": "read",
  "project.create": "write",
  "account.tokens": "admin",
  // Appearance and editor settings change nothing anyone else sees.
  "account.preferences": "read",
} as const satisfies Record<TPermission | TSitePermission, TTokenScope>;

/** True when a token of `scope` may use `permission` (its holder's role permitting). */
export function scopeAllows(scope: TTokenScope, permission: TPermission | TSitePermission): boolean {
  return TOKEN_SCOPES.indexOf(scope) >= TOKEN_SCOPES.indexOf(TOKEN_SCOPE_OF[permission]);
}

/**
 * What the pages ask about the caller on a project or notebook, by short name, and the permission
 * each name stands for. Project and notebook documents carry these as `permissions` (computed by
 * {@link describePermissions}), so the web app never interprets role strings.
 */
export const ABILITIES = {
  read: "notebook.read",
  comment: "notebook.comment",
  history: "notebook.history",
  run: "notebook.run",
  changeKernel: "notebook.kernel",
  edit: "notebook.edit",
  create: "notebook.create",
  delete: "notebook.delete",
  publish: "notebook.publish",
  manage: "project.manage",
  createChart: "chart.create",
  editChart: "chart.edit",
  writeCatalog: "catalog.write",
  writeFiles: "files.write",
  readModels: "model.read",
  writeModels: "model.write",
  manageDeployments: "deployment.manage",
} as const satisfies Record<string, TPermission>;
export type TAbility = keyof typeof ABILITIES;
/** What the caller may do, by ability. */
export type TPermissions = Record<TAbility, boolean>;

/**
 * What a caller of `role` holding a credential of `scope` may do: the role must hold the
 * permission and the scope must allow it (a read-only token of an admin edits nothing).
 */
export function describePermissions(role: TAccessRole, scope: TTokenScope = "admin"): TPermissions {
  const entries = Object.entries(ABILITIES).map(([ability, permission]) => [
    ability,
    hasPermission(role, permission) && scopeAllows(scope, permission),
  ]);
  return Object.fromEntries(entries) as TPermissions;
}

/**
 * The permission each notebook socket command needs. Completion and inspection need
 * `notebook.run`: they make the kernel evaluate attribute lookups on live objects, and a viewer
 * must not make the kernel do anything. Pages of a table and chart previews compute in the
 * kernel too (a Spark sort is a job): viewers see the first page saved in the output.
 */
export const COMMAND_PERMISSIONS = {
  run: "notebook.run",
  interrupt: "notebook.run",
  restart: "notebook.run",
  switchKernel: "notebook.kernel",
  shutdown: "notebook.run",
  clearOutputs: "notebook.run",
  complete: "notebook.run",
  inspect: "notebook.run",
  tablePage: "notebook.run",
  chartPreview: "notebook.run",
} as const satisfies Record<TBrokerCommandType, TPermission>;

/**
 * The permission each kind of co-editing frame on the notebook socket needs (docs/coediting.md):
 * members who may open the notebook receive the shared document and show their presence; only
 * those who may edit send changes or ask for a save. A frame is checked before it is applied.
 */
export const COLLAB_FRAME_PERMISSIONS = {
  read: "notebook.watch",
  presence: "notebook.watch",
  write: "notebook.edit",
  save: "notebook.edit",
} as const satisfies Record<"read" | "presence" | "write" | "save", TPermission>;
