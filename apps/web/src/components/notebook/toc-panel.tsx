// The table of contents from markdown headings. Heading text is plain text from
// `extractHeadings` and rendered as text (SECURITY.md case 9).
"use client";
import { extractHeadings, type THeading } from "@flint/notebook";
import { useEffect, useState } from "react";
import type { NotebookStore } from "@/lib/notebook/store";

const REFRESH_MS = 300;

export function TocPanel({ store, onJump }: { store: NotebookStore; onJump: (cellId: string) => void }) {
  const [headings, setHeadings] = useState<THeading[]>(() => extractHeadings(store.getNotebook()));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = store.subscribeDoc(() => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        setHeadings(extractHeadings(store.getNotebook()));
      }, REFRESH_MS);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [store]);
  return (
    <nav aria-label="Table of contents" className="nb-toc">
      <h2 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">Contents</h2>
      {headings.length === 0 && (
        <p className="text-xs text-slate-400">Add markdown headings (# Title) to see them here.</p>
      )}
      <ul className="space-y-0.5">
        {headings.map((heading, index) => (
          <li key={`${heading.cellId}-${index}`} style={{ paddingLeft: `${(heading.level - 1) * 0.75}rem` }}>
            <button
              type="button"
              className={`w-full truncate rounded px-2 py-1 text-left text-sm hover:bg-slate-100 ${
                heading.level === 1 ? "font-medium text-slate-800" : "text-slate-600"
              }`}
              title={heading.text}
              onClick={() => onJump(heading.cellId)}
            >
              {heading.text}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
