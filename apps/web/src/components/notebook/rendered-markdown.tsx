// A markdown cell as the notebook shows it when not editing: marked, the output sanitizer, KaTeX
// for math, and the cell's attachments for `attachment:` images. Shared by the notebook page and
// read-only views (published notebooks), so both sanitize the same way.
"use client";
import type { TAttachments } from "@flint/notebook";
import { memo, useLayoutEffect, useRef } from "react";
import { renderMarkdown } from "@/lib/notebook/markdown";
import { getSanitizer } from "@/lib/notebook/sanitize";

export const RenderedMarkdown = memo(function RenderedMarkdown({
  source,
  attachments,
  emptyHint,
}: {
  source: string;
  attachments: TAttachments | undefined;
  /** What an empty cell shows instead (the notebook page says how to edit it). */
  emptyHint?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    ref.current?.replaceChildren(renderMarkdown(source, getSanitizer(), attachments));
  }, [source, attachments]);
  if (source.trim() === "" && emptyHint) {
    return <p className="px-3 py-2 text-sm text-slate-400 italic">{emptyHint}</p>;
  }
  return <div ref={ref} className="nb-markdown px-3 py-2" />;
});
