/** The signed-in person's appearance and editor preferences (`/api/v1/me/preferences`). */
import type { PrismaClient } from "@flint/db";
import { authorize } from "../authorize.js";
import { ZPreferences, ZUpdatePreferencesRequest } from "../preferences.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import { getPreferences, updatePreferences } from "../services/preferences.js";

/** The routes of preferences. */
export function createPreferenceRoutes(prisma: PrismaClient): TAnyRoute[] {
  const site = { kind: "site" } as const;
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/me/preferences",
      summary: "Your theme, editor font size and line numbers (defaults when never changed)",
      tag: "account",
      auth: "user",
      response: ZPreferences,
      handler: async ({ actor }) => {
        await authorize(prisma, actor, site, "account.preferences");
        return await getPreferences(prisma, actor!.userId);
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/me/preferences",
      summary: "Change any of your theme, editor font size and line numbers; answers all of them",
      tag: "account",
      auth: "user",
      body: ZUpdatePreferencesRequest,
      response: ZPreferences,
      handler: async ({ actor, body }) => {
        await authorize(prisma, actor, site, "account.preferences");
        return await updatePreferences(prisma, actor!.userId, body);
      },
    }),
  ];
}
