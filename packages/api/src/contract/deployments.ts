/**
 * Deployments (docs/models.md): a project's registered model served by a scoring process behind
 * `POST /api/v1/deployments/{name}/predict`, which applications call with a deployment key.
 */
import { z } from "zod";
import { ZDeleted, ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** A deployment's name: part of the predict URL, unique on the site. */
export const ZDeploymentName = z
  .string()
  .min(2)
  .max(63)
  .regex(
    /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
    "use 2 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit",
  );

const ZModelName = z.string().min(1).max(200);
/** A registered model's version number (also batch scoring's). */
export const ZVersion = z.string().regex(/^[1-9][0-9]{0,9}$/, "a model version is a positive whole number");
/** A registered model's alias, e.g. champion (also batch scoring's). */
export const ZAlias = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, "an alias is letters, digits, '_' and '-'");

export const ZDeploymentKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe("The key's first characters, to tell keys apart."),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

export const ZInputColumn = z.object({ name: z.string(), type: z.string() });

export const ZDeployment = z.object({
  id: z.string(),
  name: z.string(),
  projectId: z.string(),
  modelName: z.string(),
  modelVersion: z.string().nullable().describe("A fixed version, or null when an alias is followed."),
  modelAlias: z.string().nullable().describe("The alias followed (e.g. champion), or null."),
  servedVersion: z.string().nullable().describe("The version the scoring process loaded."),
  state: z.enum(["starting", "running", "failed", "stopped"]),
  error: z.string().nullable(),
  inputColumns: z.array(ZInputColumn).nullable().describe("The model's input columns, from its signature."),
  predictPath: z.string().describe("The path applications POST to."),
  createdBy: z.object({ name: z.string(), email: z.string() }),
  createdAt: z.string(),
  keys: z.array(ZDeploymentKey).describe("Keys that are not revoked."),
});
export type TDeployment = z.infer<typeof ZDeployment>;

const ZTarget = z
  .object({
    modelName: ZModelName,
    version: ZVersion.optional(),
    alias: ZAlias.optional(),
  })
  .refine((target) => (target.version === undefined) !== (target.alias === undefined), {
    message: "give either a version or an alias (e.g. champion), not both",
    path: ["version"],
  });

const ZDeploymentParams = ZIdParams.extend({ name: ZDeploymentName });

/** One row of a prediction request: column → value. */
const ZRow = z.record(z.string(), z.unknown());

/** What `predict` takes: rows or columns. */
export const ZPredictRequest = z.union([
  z.object({
    rows: z
      .array(z.union([ZRow, z.array(z.unknown())]))
      .min(1, "send at least one row")
      .max(10_000, "send at most 10,000 rows per request"),
  }),
  z.object({
    columns: z
      .record(z.string(), z.array(z.unknown()).max(10_000, "send at most 10,000 values per column"))
      .refine((columns) => Object.keys(columns).length > 0, "send at least one column"),
  }),
]);

const MANAGE = { permission: "deployment.manage", target: { kind: "project", from: "params.id" } } as const;
const READ = { permission: "model.read", target: { kind: "project", from: "params.id" } } as const;

/** The deployments endpoints. */
export const deploymentEndpoints = {
  listDeployments: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/deployments",
    summary: "The project's deployments",
    tag: "deployments",
    access: READ,
    params: ZIdParams,
    response: z.object({ deployments: z.array(ZDeployment) }),
  }),
  createDeployment: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/deployments",
    summary:
      "Deploy a registered model's version or alias: starts its scoring process (state starting, then running)",
    tag: "deployments",
    access: MANAGE,
    params: ZIdParams,
    body: z.intersection(z.object({ name: ZDeploymentName }), ZTarget),
    response: ZDeployment,
    status: 201,
  }),
  getDeployment: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/deployments/{name}",
    summary: "One deployment: what it serves, its state and its keys",
    tag: "deployments",
    access: READ,
    params: ZDeploymentParams,
    response: ZDeployment,
  }),
  updateDeployment: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/projects/{id}/deployments/{name}",
    summary:
      "Serve another version or alias: the new scoring process starts, then takes the requests (none is dropped)",
    tag: "deployments",
    access: MANAGE,
    params: ZDeploymentParams,
    body: ZTarget,
    response: ZDeployment,
  }),
  deleteDeployment: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/projects/{id}/deployments/{name}",
    summary: "Stop and delete a deployment and its keys",
    tag: "deployments",
    access: MANAGE,
    params: ZDeploymentParams,
    response: ZDeleted,
  }),
  createDeploymentKey: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/deployments/{name}/keys",
    summary: "Create a key for the deployment's predict route; the secret is shown once",
    tag: "deployments",
    access: MANAGE,
    params: ZDeploymentParams,
    body: z.object({ name: z.string().trim().min(1).max(100) }),
    response: z.object({ key: ZDeploymentKey, secret: z.string() }),
    status: 201,
  }),
  revokeDeploymentKey: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/projects/{id}/deployments/{name}/keys/{keyId}",
    summary: "Revoke a deployment key: calls with it get 401 at once",
    tag: "deployments",
    access: MANAGE,
    params: ZDeploymentParams.extend({ keyId: ZId }),
    response: ZDeleted,
  }),
  predict: defineEndpoint({
    method: "POST",
    path: "/api/v1/deployments/{name}/predict",
    summary:
      'Score rows with a deployed model: {"rows": [{...}]} or {"columns": {"name": [...]}} in, {"predictions": [...]} out. Authorization: Bearer <deployment key>',
    tag: "deployments",
    access: "deploymentKey",
    params: z.object({ name: ZDeploymentName }),
    body: ZPredictRequest,
    maxBodyBytes: 16 * 1024 * 1024,
    response: z.object({
      predictions: z.array(z.unknown()).describe("One per row, in order."),
    }),
  }),
};
