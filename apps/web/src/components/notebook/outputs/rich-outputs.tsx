// Renderers of rich MIME types. Every one treats its value as untrusted: HTML and markdown go
// through the sanitizer into an inert fragment, SVG is only ever an <img> (an SVG image cannot run
// script), JavaScript is never executed, JSON is text.
"use client";
import { memo, useLayoutEffect, useMemo, useRef } from "react";
import { renderMarkdown, renderTex } from "@/lib/notebook/markdown";
import { getSanitizer } from "@/lib/notebook/sanitize";

export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value.join("");
  return "";
}

export const HtmlOutput = memo(function HtmlOutput({ value }: { value: unknown }) {
  const ref = useRef<HTMLDivElement>(null);
  const html = textOf(value);
  useLayoutEffect(() => {
    ref.current?.replaceChildren(getSanitizer().sanitizeToFragment(html));
  }, [html]);
  return <div ref={ref} className="nb-html" />;
});

export const MarkdownOutput = memo(function MarkdownOutput({ value }: { value: unknown }) {
  const ref = useRef<HTMLDivElement>(null);
  const source = textOf(value);
  useLayoutEffect(() => {
    ref.current?.replaceChildren(renderMarkdown(source, getSanitizer()));
  }, [source]);
  return <div ref={ref} className="nb-markdown" />;
});

export const LatexOutput = memo(function LatexOutput({ value }: { value: unknown }) {
  const ref = useRef<HTMLDivElement>(null);
  const tex = textOf(value)
    .trim()
    .replace(/^\$\$?([\s\S]*?)\$?\$$/, "$1")
    .replace(/^\\\[([\s\S]*)\\\]$/, "$1");
  useLayoutEffect(() => {
    if (ref.current) renderTex(tex, ref.current, true);
  }, [tex]);
  return <div ref={ref} className="nb-latex" />;
});

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function imageSize(metadata: Record<string, unknown> | undefined, mime: string) {
  const entry = metadata?.[mime];
  const size = entry && typeof entry === "object" ? (entry as Record<string, unknown>) : {};
  const width = typeof size.width === "number" && size.width > 0 ? size.width : undefined;
  const height = typeof size.height === "number" && size.height > 0 ? size.height : undefined;
  return { width, height };
}

export const ImageOutput = memo(function ImageOutput({
  value,
  mime,
  metadata,
}: {
  value: unknown;
  mime: string;
  metadata: Record<string, unknown> | undefined;
}) {
  const data = textOf(value).replace(/\s+/g, "");
  // Only real base64 reaches the data URL (the model checks too; a renderer never relies on it).
  if (!BASE64.test(data))
    return <p className="text-xs text-red-700">This image output is not valid base64.</p>;
  const { width, height } = imageSize(metadata, mime);
  return (
    // biome-ignore lint/performance/noImgElement: a data URL from the kernel, not an app asset
    <img
      src={`data:${mime};base64,${data}`}
      alt="Output"
      width={width}
      height={height}
      className="nb-image"
    />
  );
});

export const SvgOutput = memo(function SvgOutput({
  value,
  metadata,
}: {
  value: unknown;
  metadata: Record<string, unknown> | undefined;
}) {
  const svg = textOf(value);
  // As an image, an SVG's scripts, event handlers and foreignObject never run.
  const src = useMemo(() => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, [svg]);
  const { width, height } = imageSize(metadata, "image/svg+xml");
  return (
    // biome-ignore lint/performance/noImgElement: an SVG output shown as an image on purpose
    <img src={src} alt="SVG output" width={width} height={height} className="nb-image" />
  );
});

export function JavascriptOutput() {
  return (
    <p className="rounded border border-dashed border-slate-300 bg-slate-50 px-3 py-2 text-xs text-slate-500">
      JavaScript output is not run in Flint (it could act as you). Its text fallback, if any, is below.
    </p>
  );
}

const MAX_JSON_CHILDREN = 200;

function JsonNode({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const label = name !== null ? <span className="text-purple-700">{JSON.stringify(name)}: </span> : null;
  if (value === null || typeof value !== "object") {
    const className =
      typeof value === "string"
        ? "text-emerald-700"
        : typeof value === "number"
          ? "text-sky-700"
          : "text-amber-700";
    return (
      <div className="pl-4">
        {label}
        <span className={className}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((item) => [null, item])
    : Object.entries(value as Record<string, unknown>);
  const open = Array.isArray(value) ? "[" : "{";
  const close = Array.isArray(value) ? "]" : "}";
  return (
    <details open={depth < 2} className="pl-4">
      <summary className="cursor-pointer select-none">
        {label}
        {open}
        <span className="text-slate-400">
          {" "}
          {entries.length} {entries.length === 1 ? "item" : "items"}{" "}
        </span>
        {close}
      </summary>
      {entries.slice(0, MAX_JSON_CHILDREN).map(([key, item], index) => (
        <JsonNode key={index} name={key} value={item} depth={depth + 1} />
      ))}
      {entries.length > MAX_JSON_CHILDREN && (
        <div className="pl-4 text-slate-400">… {entries.length - MAX_JSON_CHILDREN} more</div>
      )}
    </details>
  );
}

export const JsonOutput = memo(function JsonOutput({ value }: { value: unknown }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group, not a form fieldset
    <div className="nb-json font-mono text-xs leading-5" role="group" aria-label="JSON output">
      <JsonNode name={null} value={value} depth={0} />
    </div>
  );
});
