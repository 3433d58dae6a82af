/**
 * The OpenAPI 3.1 document, generated from the route table's zod schemas (never hand-written).
 */
import { z } from "zod";
import { requiresSignIn, type TAccess } from "./contract/endpoint.js";
import type { TAnyRoute } from "./router.js";

function toSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

/**
 * Who may call, from the route's access rule: anyone (`[]`), a signed-in caller (bearer or
 * cookie), also a kernel's notebook token (`notebookToken`), or, for rules that let anonymous
 * visitors read published items, either a credential or none (`{}`).
 */
function securityOf(access: TAccess): unknown[] {
  if (access === "public") return [];
  const signedIn = [{ bearer: [] }, { cookie: [] }];
  if (access === "notebookToken") return [...signedIn, { notebookToken: [] }];
  if (access === "deploymentKey") return [{ deploymentKey: [] }];
  if (!requiresSignIn(access)) return [...signedIn, {}];
  return signedIn;
}

/** Builds the OpenAPI document for `routes`. */
export function buildOpenApiDocument(routes: TAnyRoute[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const [location, schema] of [
      ["path", route.params],
      ["query", route.query],
    ] as const) {
      if (!schema || !(schema instanceof z.ZodObject)) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        parameters.push({
          name,
          in: location,
          required: location === "path" || !field.safeParse(undefined).success,
          schema: toSchema(field, "input"),
        });
      }
    }
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}+]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      parameters,
      security: securityOf(route.access),
      responses: {
        [String(route.status ?? 200)]: {
          description: "Success",
          content: { "application/json": { schema: toSchema(route.response, "output") } },
        },
        default: {
          description: "Error",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
    if (route.documentedBody) {
      operation.requestBody = {
        required: true,
        description: route.documentedBody.description,
        content: Object.fromEntries(
          Object.entries(route.documentedBody.content).map(([type, schema]) => [
            type,
            { schema: toSchema(schema, "input") },
          ]),
        ),
      };
    } else if (route.rawBody) {
      operation.requestBody = {
        required: true,
        description: route.rawBody.description,
        content: Object.fromEntries(
          route.rawBody.contentTypes.map((type) => [type, { schema: { type: "string", format: "binary" } }]),
        ),
      };
    } else if (route.body) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: toSchema(route.body, "input") } },
      };
    }
    // OpenAPI has no rest-of-path parameter: `{path+}` (the MLflow proxy) is documented as `{path}`.
    const documentedPath = route.path.replace(/\{(\w+)\+\}/g, "{$1}");
    paths[documentedPath] = { ...(paths[documentedPath] ?? {}), [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Flint API",
      version: "1",
      description: "Notebooks on Spark, data catalog, charts and projects.",
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "A personal access token from Settings → Tokens.",
        },
        cookie: { type: "apiKey", in: "cookie", name: "better-auth.session_token" },
        notebookToken: {
          type: "http",
          scheme: "bearer",
          description: "A notebook's token (`flint_nbk_...`), which Flint gives the notebook's kernel.",
        },
        deploymentKey: {
          type: "http",
          scheme: "bearer",
          description: "A deployment key (`flint_dk_...`), created on the deployment's page.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
    },
  };
}
