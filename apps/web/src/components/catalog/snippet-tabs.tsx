"use client";
import { useState } from "react";

const LABELS = { spark: "Spark", pandas: "pandas", sql: "SQL" } as const;

/**
 * "Insert into notebook": the code to load an asset, per language, with a copy button and, with
 * `onInsert`, an "Insert into notebook" button for the chosen language.
 */
export function SnippetTabs({
  snippets,
  onInsert,
}: {
  snippets: Record<keyof typeof LABELS, string>;
  onInsert?: (form: keyof typeof LABELS) => void;
}) {
  const [tab, setTab] = useState<keyof typeof LABELS>("spark");
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippets[tab]);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="card overflow-hidden">
      <div
        role="tablist"
        aria-label="Snippet language"
        className="flex items-center gap-1 border-b border-slate-200 px-2 py-1"
      >
        {(Object.keys(LABELS) as (keyof typeof LABELS)[]).map((key) => (
          <button
            key={key}
            type="button"
            role="tab"
            aria-selected={tab === key}
            className={`rounded px-2 py-1 text-sm ${tab === key ? "bg-slate-100 font-medium" : "text-slate-600"}`}
            onClick={() => setTab(key)}
          >
            {LABELS[key]}
          </button>
        ))}
        <button type="button" className="btn-secondary ml-auto py-1" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        {onInsert && (
          <button type="button" className="btn-primary py-1" onClick={() => onInsert(tab)}>
            Insert into notebook
          </button>
        )}
      </div>
      <pre role="tabpanel" data-testid="snippet" className="overflow-x-auto bg-slate-50 p-3 text-xs">
        <code>{snippets[tab]}</code>
      </pre>
    </div>
  );
}
