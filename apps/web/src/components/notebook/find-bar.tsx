// Notebook-wide find and replace (Ctrl+F in command mode): matches across every cell's source,
// marked in the static text of each cell, with replace and replace-all as one edit each.
"use client";
import { useEffect, useMemo, useState } from "react";
import { type Observable, useObservable } from "@/lib/notebook/hooks";
import type { NotebookStore } from "@/lib/notebook/store";
import type { TFindState } from "./cell-view";

type TMatch = { cellId: string; start: number };

function findMatches(store: NotebookStore, query: string, isCaseSensitive: boolean): TMatch[] {
  if (!query) return [];
  const needle = isCaseSensitive ? query : query.toLowerCase();
  const matches: TMatch[] = [];
  for (const cell of store.getNotebook().cells) {
    const text = isCaseSensitive ? cell.source : cell.source.toLowerCase();
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
      matches.push({ cellId: cell.id, start: at });
    }
  }
  return matches;
}

export function FindBar({
  store,
  find,
  onReveal,
  onClose,
}: {
  store: NotebookStore;
  find: Observable<TFindState>;
  onReveal: (cellId: string) => void;
  onClose: () => void;
}) {
  const state = useObservable(find);
  const [replacement, setReplacement] = useState("");
  const [current, setCurrent] = useState(0);
  const [docVersion, setDocVersion] = useState(0);
  useEffect(() => store.subscribeDoc(() => setDocVersion((value) => value + 1)), [store]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: docVersion re-runs the search after edits
  const matches = useMemo(
    () => findMatches(store, state.query, state.isCaseSensitive),
    [store, state.query, state.isCaseSensitive, docVersion],
  );
  const index = matches.length === 0 ? -1 : Math.min(current, matches.length - 1);

  const go = (delta: number) => {
    if (matches.length === 0) return;
    const next = (index + delta + matches.length) % matches.length;
    setCurrent(next);
    const match = matches[next]!;
    store.select(match.cellId);
    onReveal(match.cellId);
  };

  const replaceCurrent = () => {
    const match = matches[index];
    if (!match) return;
    const source = store.getCell(match.cellId)?.source ?? "";
    store.replaceSources(
      new Map([
        [
          match.cellId,
          source.slice(0, match.start) + replacement + source.slice(match.start + state.query.length),
        ],
      ]),
    );
  };

  const replaceAll = () => {
    if (!state.query) return;
    const changes = new Map<string, string>();
    const pattern = new RegExp(
      state.query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      state.isCaseSensitive ? "g" : "gi",
    );
    for (const match of matches) {
      if (changes.has(match.cellId)) continue;
      const source = store.getCell(match.cellId)?.source ?? "";
      changes.set(
        match.cellId,
        source.replace(pattern, () => replacement),
      );
    }
    store.replaceSources(changes);
  };

  return (
    <search aria-label="Find in notebook" className="nb-find">
      <input
        // biome-ignore lint/a11y/noAutofocus: opened by Ctrl+F to type a query
        autoFocus
        aria-label="Find"
        placeholder="Find in all cells"
        className="input h-8 w-56 py-1"
        value={state.query}
        onChange={(event) => {
          find.set({ ...state, query: event.target.value });
          setCurrent(0);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            go(event.shiftKey ? -1 : 1);
          } else if (event.key === "Escape") {
            event.preventDefault();
            onClose();
          }
        }}
      />
      <label className="flex items-center gap-1 text-xs text-slate-600">
        <input
          type="checkbox"
          checked={state.isCaseSensitive}
          onChange={(event) => find.set({ ...state, isCaseSensitive: event.target.checked })}
        />
        Match case
      </label>
      <span className="min-w-20 text-xs text-slate-500" role="status">
        {state.query ? (matches.length === 0 ? "No matches" : `${index + 1} of ${matches.length}`) : ""}
      </span>
      <button type="button" className="nb-tool" onClick={() => go(-1)} aria-label="Previous match">
        ↑
      </button>
      <button type="button" className="nb-tool" onClick={() => go(1)} aria-label="Next match">
        ↓
      </button>
      {store.canEdit() && (
        <>
          <input
            aria-label="Replace with"
            placeholder="Replace with"
            className="input h-8 w-44 py-1"
            value={replacement}
            onChange={(event) => setReplacement(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape") onClose();
            }}
          />
          <button type="button" className="nb-tool" onClick={replaceCurrent} disabled={index === -1}>
            Replace
          </button>
          <button type="button" className="nb-tool" onClick={replaceAll} disabled={matches.length === 0}>
            Replace all
          </button>
        </>
      )}
      <button type="button" className="nb-tool ml-auto" onClick={onClose} aria-label="Close find">
        ✕
      </button>
    </search>
  );
}
