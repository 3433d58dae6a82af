"use client";
import { EDITOR_FONT_SIZE, type TTheme, type TUpdatePreferencesRequest } from "@flint/api/preferences";
import Link from "next/link";
import { useState } from "react";
import { AppShell } from "@/components/app-shell";
import "@/components/notebook/notebook.css";
import { StaticCode } from "@/components/notebook/static-code";
import type { ApiError } from "@/lib/api";
import { usePreferences, useResolvedTheme } from "@/lib/preferences";
import { useIsHydrated } from "@/lib/use-is-hydrated";

const THEME_CHOICES: { value: TTheme; label: string; hint: string }[] = [
  { value: "light", label: "Light", hint: "Dark text on light surfaces" },
  { value: "dark", label: "Dark", hint: "Light text on dark surfaces; charts and editors too" },
  { value: "system", label: "System", hint: "Follows your device's light or dark setting" },
];

const FONT_SIZES = [10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24].filter(
  (size) => size >= EDITOR_FONT_SIZE.min && size <= EDITOR_FONT_SIZE.max,
);

const SAMPLE = `# A preview of code cells
df = spark.read.csv("sales.csv", header=True)
df.groupBy("region").sum("amount").show()`;

export default function SettingsPage() {
  const { preferences, update } = usePreferences();
  const resolved = useResolvedTheme();
  const isHydrated = useIsHydrated();
  const [status, setStatus] = useState<{ kind: "saved" | "error"; text: string } | null>(null);
  // Each control saves on change, like an OS settings panel: there is no Save button to forget.
  const change = async (value: TUpdatePreferencesRequest) => {
    setStatus(null);
    try {
      await update(value);
      setStatus({ kind: "saved", text: "Saved. Your other browsers get it at their next page." });
    } catch (error) {
      setStatus({ kind: "error", text: `Not saved: ${(error as ApiError).message}` });
    }
  };
  return (
    <AppShell>
      <h1 className="mb-6 text-2xl font-semibold">Settings</h1>
      <section aria-labelledby="appearance-heading" className="card mb-6 p-5">
        <h2 id="appearance-heading" className="mb-1 text-lg font-semibold">
          Appearance &amp; editor
        </h2>
        <p className="mb-4 text-sm text-slate-600">
          Kept with your account, so they follow you to every browser you sign in from.
        </p>
        {/* Disabled until hydrated: a choice made before would be lost without a sign. */}
        <fieldset disabled={!isHydrated} className="space-y-5">
          <fieldset>
            <legend className="mb-2 text-sm font-medium">Theme</legend>
            <div className="flex flex-wrap gap-2">
              {THEME_CHOICES.map((choice) => (
                <label
                  key={choice.value}
                  className={`flex min-w-40 cursor-pointer flex-col rounded-md border px-3 py-2 text-sm ${
                    preferences.theme === choice.value
                      ? "border-brand-600 bg-brand-50"
                      : "border-slate-300 hover:bg-slate-100"
                  }`}
                >
                  <span className="flex items-center gap-2 font-medium">
                    <input
                      type="radio"
                      aria-labelledby={`theme-${choice.value}`}
                      aria-describedby={`theme-${choice.value}-hint`}
                      name="theme"
                      value={choice.value}
                      checked={preferences.theme === choice.value}
                      onChange={() => void change({ theme: choice.value })}
                      className="accent-brand-600"
                    />
                    <span id={`theme-${choice.value}`}>{choice.label}</span>
                  </span>
                  <span id={`theme-${choice.value}-hint`} className="text-xs text-slate-600">
                    {choice.hint}
                  </span>
                </label>
              ))}
            </div>
            {preferences.theme === "system" && (
              <p className="mt-2 text-xs text-slate-500">Your device is set to {resolved} now.</p>
            )}
          </fieldset>
          <div className="flex flex-wrap items-end gap-6">
            <label className="text-sm">
              <span className="mb-1 block font-medium">Editor font size</span>
              <select
                className="input w-32"
                value={preferences.editorFontSize}
                onChange={(event) => void change({ editorFontSize: Number(event.target.value) })}
              >
                {FONT_SIZES.map((size) => (
                  <option key={size} value={size}>
                    {size} px
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2 pb-2 text-sm">
              <input
                type="checkbox"
                checked={preferences.lineNumbers}
                onChange={(event) => void change({ lineNumbers: event.target.checked })}
                className="h-4 w-4 accent-brand-600"
              />
              <span className="font-medium">Line numbers in code cells</span>
            </label>
          </div>
          <div>
            <p className="mb-1 text-xs text-slate-500">Preview</p>
            <div data-testid="editor-preview">
              <StaticCode source={SAMPLE} language="python" findQuery="" isCaseSensitive={false} />
            </div>
          </div>
        </fieldset>
        <p
          role={status?.kind === "error" ? "alert" : "status"}
          className={`mt-4 min-h-5 text-sm ${status?.kind === "error" ? "text-red-700" : "text-slate-600"}`}
        >
          {status?.text}
        </p>
      </section>
      <section aria-labelledby="tokens-heading" className="card p-5">
        <h2 id="tokens-heading" className="mb-1 text-lg font-semibold">
          Access tokens
        </h2>
        <p className="text-sm text-slate-600">
          Tokens let scripts call Flint's API as you.{" "}
          <Link href="/settings/tokens" className="text-brand-700 underline">
            Manage access tokens
          </Link>
        </p>
      </section>
    </AppShell>
  );
}
