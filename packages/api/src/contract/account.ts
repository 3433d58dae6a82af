/** The signed-in person: who they are, their personal access tokens and their preferences. */
import { z } from "zod";
import { TOKEN_SCOPES } from "../permissions";
import { ZPreferences, ZUpdatePreferencesRequest } from "../preferences";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** The signed-in user. */
export const ZUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  /** A site administrator: the pages offer Administration. */
  isAdmin: z.boolean(),
});
export type TUser = z.infer<typeof ZUser>;

/** A personal access token as its owner sees it: never its secret. */
export const ZToken = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  scope: z.enum(TOKEN_SCOPES),
  /** Null: the token does not expire. */
  expiresAt: z.string().nullable(),
});
export type TToken = z.infer<typeof ZToken>;

export const ZCreateTokenRequest = z.strictObject({
  name: z.string().trim().min(1, "a token needs a name").max(100),
  scope: z
    .enum(TOKEN_SCOPES, { error: "choose a scope: read, run, write or admin" })
    .describe(
      "read: read and watch; run: also run cells; write: also edit and create; admin: also manage projects, the site and tokens",
    ),
  expiresInDays: z
    .number()
    .int("whole days")
    .min(1, "at least 1 day")
    .max(3650, "at most 3650 days")
    .nullable()
    .optional()
    .describe("Days until the token stops working; null or absent: it does not expire."),
});

const TOKENS = { permission: "account.tokens", target: "site" } as const;
const PREFERENCES = { permission: "account.preferences", target: "site" } as const;

/** The account's endpoints. */
export const accountEndpoints = {
  getMe: defineEndpoint({
    method: "GET",
    path: "/api/v1/me",
    summary: "The signed-in user",
    tag: "account",
    access: "user",
    response: ZUser,
  }),
  listTokens: defineEndpoint({
    method: "GET",
    path: "/api/v1/tokens",
    summary: "Your personal access tokens (never their secrets)",
    tag: "account",
    access: TOKENS,
    response: z.object({ tokens: z.array(ZToken) }),
  }),
  createToken: defineEndpoint({
    method: "POST",
    path: "/api/v1/tokens",
    summary: "Create a personal access token; its secret is shown once",
    tag: "account",
    access: TOKENS,
    status: 201,
    body: ZCreateTokenRequest,
    response: z.object({ token: ZToken, secret: z.string() }),
  }),
  revokeToken: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/tokens/{id}",
    summary: "Revoke a personal access token",
    tag: "account",
    access: TOKENS,
    params: ZIdParams,
    response: z.object({ revoked: z.literal(true) }),
  }),
  getPreferences: defineEndpoint({
    method: "GET",
    path: "/api/v1/me/preferences",
    summary: "Your theme, editor font size and line numbers (defaults when never changed)",
    tag: "account",
    access: PREFERENCES,
    response: ZPreferences,
  }),
  updatePreferences: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/me/preferences",
    summary: "Change any of your theme, editor font size and line numbers; answers all of them",
    tag: "account",
    access: PREFERENCES,
    body: ZUpdatePreferencesRequest,
    response: ZPreferences,
  }),
};
