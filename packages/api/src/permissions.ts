/**
 * Who may do what in a project: one typed table, read by the one authorization check
 * (`authorize` in authorize.ts) that every route and WebSocket command goes through.
 */

/** Project roles, weakest first. */
export const PROJECT_ROLES = ["viewer", "runner", "editor", "admin"] as const;
export type TProjectRole = (typeof PROJECT_ROLES)[number];

/** Every named permission and the roles that hold it. */
export const PERMISSIONS = {
  "project.read": ["viewer", "runner", "editor", "admin"],
  "project.manage": ["admin"],
  "notebook.read": ["viewer", "runner", "editor", "admin"],
  "notebook.comment": ["viewer", "runner", "editor", "admin"],
  "notebook.run": ["runner", "editor", "admin"],
  "notebook.edit": ["editor", "admin"],
  "notebook.create": ["editor", "admin"],
} as const satisfies Record<string, readonly TProjectRole[]>;

export type TPermission = keyof typeof PERMISSIONS;

/** True when `role` holds `permission`. */
export function hasPermission(role: TProjectRole, permission: TPermission): boolean {
  return (PERMISSIONS[permission] as readonly TProjectRole[]).includes(role);
}
