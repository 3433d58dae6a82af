// The source of a cell that has no editor mounted: plain text at first, highlighted with Monaco's
// tokenizer once Monaco is loaded and the cell is near the viewport, so a 1,000-cell notebook
// opens without 1,000 editors. While the find bar has a query, matches are marked instead.
"use client";
import { memo, type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import { useMonaco } from "@/lib/notebook/monaco-loader";
import { usePreferences } from "@/lib/preferences";

const TOKEN_CLASSES: [RegExp, string][] = [
  [/^comment/, "tok-comment"],
  [/^string/, "tok-string"],
  [/^number/, "tok-number"],
  [/^keyword/, "tok-keyword"],
  [/^(type|predefined|support)/, "tok-type"],
  [/^(delimiter|operator)/, "tok-delimiter"],
];

// Tokenizing huge cells on the main thread is not worth it.
const MAX_HIGHLIGHT_CHARS = 20_000;

function classOf(tokenType: string): string | undefined {
  for (const [pattern, className] of TOKEN_CLASSES) if (pattern.test(tokenType)) return className;
  return undefined;
}

/** `told`: what the caller knows already (a cell hears it from the browser); undefined: watch. */
function useIsNearViewport(ref: React.RefObject<HTMLElement | null>, told: boolean | undefined): boolean {
  const [isNear, setNear] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || isNear || told !== undefined) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          setNear(true);
          observer.disconnect();
        }
      },
      { rootMargin: "600px 0px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, isNear, told]);
  return told ?? isNear;
}

function markMatches(text: string, query: string, isCaseSensitive: boolean): ReactNode[] {
  const nodes: ReactNode[] = [];
  const haystack = isCaseSensitive ? text : text.toLowerCase();
  const needle = isCaseSensitive ? query : query.toLowerCase();
  let from = 0;
  for (
    let at = haystack.indexOf(needle);
    at !== -1 && needle;
    at = haystack.indexOf(needle, at + needle.length)
  ) {
    nodes.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  nodes.push(text.slice(from));
  return nodes;
}

export const StaticCode = memo(function StaticCode({
  source,
  language,
  findQuery,
  isCaseSensitive,
  isNearViewport,
  placeholder,
}: {
  source: string;
  language: string;
  findQuery: string;
  isCaseSensitive: boolean;
  /** Whether the source is near the viewport, when the caller knows; otherwise it watches itself. */
  isNearViewport?: boolean;
  placeholder?: string;
}) {
  const ref = useRef<HTMLPreElement>(null);
  const isNear = useIsNearViewport(ref, isNearViewport);
  const monaco = useMonaco();
  const highlighted = useMemo(() => {
    if (!monaco || !isNear || findQuery || source.length > MAX_HIGHLIGHT_CHARS || language === "plaintext")
      return null;
    const lines = source.split("\n");
    const tokens = monaco.editor.tokenize(source, language);
    return lines.map((line, lineIndex) => {
      const lineTokens = tokens[lineIndex] ?? [];
      const parts: ReactNode[] = [];
      lineTokens.forEach((token, index) => {
        const end = lineTokens[index + 1]?.offset ?? line.length;
        const text = line.slice(token.offset, end);
        const className = classOf(token.type);
        parts.push(
          className ? (
            <span key={index} className={className}>
              {text}
            </span>
          ) : (
            text
          ),
        );
      });
      if (lineTokens.length === 0) parts.push(line);
      return (
        <span key={lineIndex}>
          {parts}
          {lineIndex < lines.length - 1 ? "\n" : ""}
        </span>
      );
    });
  }, [monaco, isNear, findQuery, source, language]);
  const content = findQuery ? markMatches(source, findQuery, isCaseSensitive) : (highlighted ?? source);
  const { lineNumbers } = usePreferences().preferences;
  const numbers = useMemo(
    () =>
      lineNumbers
        ? Array.from({ length: source.split("\n").length }, (_, index) => index + 1).join("\n")
        : null,
    [lineNumbers, source],
  );
  return (
    <pre ref={ref} className={numbers ? "nb-static-code nb-static-code-numbered" : "nb-static-code"}>
      {numbers && (
        <span aria-hidden className="nb-line-numbers">
          {numbers}
        </span>
      )}
      {source === "" && placeholder ? <span className="text-slate-400">{placeholder}</span> : content}
      {/* Keeps a trailing empty line as tall as Monaco shows it. */}
      {source.endsWith("\n") ? " " : null}
    </pre>
  );
});
