import {
  DEFAULT_PREFERENCES,
  PREFERENCES_HEADER,
  parsePreferences,
  THEME_COOKIE,
  THEMES,
  type TPreferences,
} from "@flint/api/preferences";
import type { Metadata } from "next";
import { cookies, headers } from "next/headers";
import type { CSSProperties, ReactNode } from "react";
import { editorCssVariables } from "@/lib/editor-settings";
import { PreferencesProvider } from "@/lib/preferences";
import { QueryProvider } from "@/lib/query-provider";
import "./globals.css";

export const metadata: Metadata = {
  title: "Flint",
  description: "Notebooks on Spark, data catalog, charts and projects.",
};

/**
 * The signed-in person's preferences, which Flint's server puts on the request (server.ts);
 * nobody signed in: this browser's last theme from its cookie, else the defaults.
 */
async function readPreferences(): Promise<TPreferences> {
  const fromServer = (await headers()).get(PREFERENCES_HEADER);
  if (fromServer) {
    try {
      return parsePreferences(JSON.parse(fromServer));
    } catch {
      return DEFAULT_PREFERENCES;
    }
  }
  const theme = (await cookies()).get(THEME_COOKIE)?.value;
  return {
    ...DEFAULT_PREFERENCES,
    theme: THEMES.find((known) => known === theme) ?? DEFAULT_PREFERENCES.theme,
  };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the request makes every page render per request, so Next.js can put this
  // response's CSP nonce (set by server.ts) on its scripts.
  const preferences = await readPreferences();
  return (
    // The theme is in the server's HTML, so the first paint is already in it (no flash).
    // The provider sets these again on every change, after hydration.
    <html
      lang="en"
      data-theme={preferences.theme}
      style={editorCssVariables(preferences) as CSSProperties}
      suppressHydrationWarning
    >
      <body className="min-h-screen">
        <QueryProvider>
          <PreferencesProvider initial={preferences}>{children}</PreferencesProvider>
        </QueryProvider>
      </body>
    </html>
  );
}
