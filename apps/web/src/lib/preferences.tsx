// The signed-in person's appearance and editor preferences in the browser: rendered into <html>
// by the root layout (from the server), changed through the API, applied at once to this page
// and to Flint's other tabs in this browser (a BroadcastChannel), so open editors follow.
"use client";
import {
  DEFAULT_PREFERENCES,
  parsePreferences,
  THEME_COOKIE,
  type TPreferences,
  type TUpdatePreferencesRequest,
} from "@flint/api/preferences";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { apiClient } from "./api";
import { editorCssVariables } from "./editor-settings";

type TPreferencesContext = {
  preferences: TPreferences;
  /** Saves a change on the server and applies it everywhere; rejects with the API's error. */
  update: (change: TUpdatePreferencesRequest) => Promise<void>;
};

const PreferencesContext = createContext<TPreferencesContext>({
  preferences: DEFAULT_PREFERENCES,
  update: async () => undefined,
});

const CHANNEL = "flint-preferences";

function applyToDocument(preferences: TPreferences): void {
  const root = document.documentElement;
  root.dataset.theme = preferences.theme;
  for (const [name, value] of Object.entries(editorCssVariables(preferences)))
    root.style.setProperty(name, value);
  // Pages shown before sign-in (the login page) have no person to ask: they use this browser's
  // last theme. Not a secret, and readable by the server only.
  // biome-ignore lint/suspicious/noDocumentCookie: a plain first-party cookie is all this needs; the Cookie Store API is not in every browser.
  document.cookie = `${THEME_COOKIE}=${preferences.theme}; path=/; max-age=31536000; samesite=lax`;
}

export function PreferencesProvider({ initial, children }: { initial: TPreferences; children: ReactNode }) {
  const [preferences, setPreferences] = useState(initial);
  const current = useRef(preferences);
  current.current = preferences;
  const channel = useRef<BroadcastChannel | null>(null);

  useEffect(() => {
    applyToDocument(preferences);
  }, [preferences]);

  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const opened = new BroadcastChannel(CHANNEL);
    opened.onmessage = (event: MessageEvent) => setPreferences(parsePreferences(event.data));
    channel.current = opened;
    return () => {
      opened.close();
      channel.current = null;
    };
  }, []);

  const update = useCallback(async (change: TUpdatePreferencesRequest) => {
    const previous = current.current;
    // Shown at once; put back if the server refuses.
    setPreferences({ ...previous, ...change });
    try {
      const saved = await apiClient("updatePreferences", { body: change });
      setPreferences(saved);
      channel.current?.postMessage(saved);
    } catch (error) {
      setPreferences(previous);
      throw error;
    }
  }, []);

  const value = useMemo(() => ({ preferences, update }), [preferences, update]);
  return <PreferencesContext.Provider value={value}>{children}</PreferencesContext.Provider>;
}

/** The preferences and a way to change them. */
export function usePreferences(): TPreferencesContext {
  return useContext(PreferencesContext);
}

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribeToSystemTheme(onChange: () => void): () => void {
  const query = window.matchMedia(DARK_QUERY);
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

/** The theme actually shown: "system" resolved through the browser's prefers-color-scheme. */
export function useResolvedTheme(): "light" | "dark" {
  const { theme } = usePreferences().preferences;
  const isSystemDark = useSyncExternalStore(
    subscribeToSystemTheme,
    () => window.matchMedia(DARK_QUERY).matches,
    () => false,
  );
  if (theme === "system") return isSystemDark ? "dark" : "light";
  return theme;
}
