// MIME-type renderers in order of preference, each with a `isSafe` flag like JupyterLab's
// rendermime: for a bundle, the first safe renderer whose type is present wins; an unsafe one
// (JavaScript) is only chosen when nothing else is there, and it shows a placeholder.
import type { ReactNode } from "react";
import { AnsiText } from "./ansi-text";
import {
  HtmlOutput,
  ImageOutput,
  JavascriptOutput,
  JsonOutput,
  LatexOutput,
  MarkdownOutput,
  SvgOutput,
  textOf,
} from "./rich-outputs";
import { SparkProgressOutput } from "./spark-progress-output";
import { SparkStartOutput } from "./spark-start-output";
import { TableOutput } from "./table-output";
import { VegaLiteOutput } from "./vega-lite-output";

export type TRenderProps = {
  mime: string;
  value: unknown;
  bundle: Record<string, unknown>;
  metadata: Record<string, unknown> | undefined;
};

export type TRenderer = {
  mimes: readonly string[];
  isSafe: boolean;
  render: (props: TRenderProps) => ReactNode;
};

export const VEGA_LITE_MIMES = [
  "application/vnd.vegalite.v6.json",
  "application/vnd.vegalite.v6+json",
  "application/vnd.vegalite.v5+json",
  "application/vnd.vegalite.v4+json",
  "application/vnd.vega.v6+json",
  "application/vnd.vega.v5+json",
] as const;

function PlainText({ text }: { text: string }) {
  return (
    <pre className="nb-pre">
      <AnsiText text={text} />
    </pre>
  );
}

export const RENDERERS: readonly TRenderer[] = [
  {
    mimes: ["application/vnd.flint.spark-progress+json"],
    isSafe: true,
    render: ({ value, metadata }) => <SparkProgressOutput value={value} metadata={metadata} />,
  },
  {
    mimes: ["application/vnd.flint.spark-start+json"],
    isSafe: true,
    render: ({ value }) => <SparkStartOutput value={value} />,
  },
  {
    mimes: VEGA_LITE_MIMES,
    isSafe: true,
    render: ({ value, mime, bundle }) => (
      <VegaLiteOutput
        spec={value}
        mime={mime}
        fallbackText={textOf(bundle["text/plain"]) || null}
        chartInfo={bundle["application/vnd.flint.chart+json"]}
      />
    ),
  },
  {
    mimes: ["application/vnd.flint.table+json"],
    isSafe: true,
    render: ({ value }) => <TableOutput value={value} />,
  },
  { mimes: ["application/javascript", "text/javascript"], isSafe: false, render: () => <JavascriptOutput /> },
  { mimes: ["text/html"], isSafe: true, render: ({ value }) => <HtmlOutput value={value} /> },
  { mimes: ["text/markdown"], isSafe: true, render: ({ value }) => <MarkdownOutput value={value} /> },
  { mimes: ["text/latex"], isSafe: true, render: ({ value }) => <LatexOutput value={value} /> },
  {
    mimes: ["image/svg+xml"],
    isSafe: true,
    render: ({ value, metadata }) => <SvgOutput value={value} metadata={metadata} />,
  },
  {
    mimes: ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"],
    isSafe: true,
    render: ({ value, mime, metadata }) => <ImageOutput value={value} mime={mime} metadata={metadata} />,
  },
  { mimes: ["application/json"], isSafe: true, render: ({ value }) => <JsonOutput value={value} /> },
  { mimes: ["text/plain"], isSafe: true, render: ({ value }) => <PlainText text={textOf(value)} /> },
];

/** The MIME type to show for a bundle and its renderer, or null when nothing can show it. */
export function chooseRenderer(
  bundle: Record<string, unknown>,
): { mime: string; renderer: TRenderer } | null {
  let unsafe: { mime: string; renderer: TRenderer } | null = null;
  for (const renderer of RENDERERS) {
    for (const mime of renderer.mimes) {
      if (!(mime in bundle)) continue;
      if (renderer.isSafe) return { mime, renderer };
      unsafe ??= { mime, renderer };
    }
  }
  return unsafe;
}

/** Renders a MIME bundle with the preferred renderer; unknown types fall back to text/plain. */
export function MimeBundle({
  bundle,
  metadata,
}: {
  bundle: Record<string, unknown>;
  metadata: Record<string, unknown> | undefined;
}) {
  const chosen = chooseRenderer(bundle);
  if (!chosen) {
    const types = Object.keys(bundle).join(", ") || "nothing";
    return <p className="text-xs text-slate-500">No way to show this output ({types}).</p>;
  }
  const { mime, renderer } = chosen;
  const body = renderer.render({ mime, value: bundle[mime], bundle, metadata });
  // JavaScript is never run: say so, next to the text fallback the kernel sent with it.
  const hasScript = "application/javascript" in bundle || "text/javascript" in bundle;
  if (hasScript && (mime === "text/plain" || !renderer.isSafe)) {
    return (
      <>
        <JavascriptOutput />
        {mime === "text/plain"
          ? body
          : "text/plain" in bundle && <PlainText text={textOf(bundle["text/plain"])} />}
      </>
    );
  }
  return <>{body}</>;
}
