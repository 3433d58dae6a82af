/**
 * Per-person preferences (Settings → Appearance & editor), stored on the server so they follow a
 * person to every browser. The server also reads them before rendering a page, so the first paint
 * already has the right theme.
 */
import type { PrismaClient } from "@flint/db";
import {
  DEFAULT_PREFERENCES,
  parsePreferences,
  type TPreferences,
  type TUpdatePreferencesRequest,
} from "../preferences.js";

const SELECT = { theme: true, editorFontSize: true, lineNumbers: true } as const;

/** A user's preferences; the defaults when they never changed any. */
export async function getPreferences(prisma: PrismaClient, userId: string): Promise<TPreferences> {
  const row = await prisma.userPreference.findUnique({ where: { userId }, select: SELECT });
  return row ? parsePreferences(row) : { ...DEFAULT_PREFERENCES };
}

/** Changes the fields given and answers the preferences as they are now. */
export async function updatePreferences(
  prisma: PrismaClient,
  userId: string,
  change: TUpdatePreferencesRequest,
): Promise<TPreferences> {
  const row = await prisma.userPreference.upsert({
    where: { userId },
    create: { ...DEFAULT_PREFERENCES, ...change, userId },
    update: change,
    select: SELECT,
  });
  return parsePreferences(row);
}
