// A code cell's outputs: streams coalesced with `\r` resolved, errors with their coloured
// traceback, rich bundles through rendermime, the broker's truncation notice as a clear banner.
// Each output sits in a box with CSS containment, so nothing inside can cover the page.
"use client";
import { isImportNotice, resolveStreamText, splitStreamBlocks, type TOutput } from "@flint/notebook";
import { memo, useEffect, useRef, useState } from "react";
import { AnsiText } from "./ansi-text";
import { MimeBundle } from "./rendermime";

type TItem =
  | { kind: "stream"; name: string; text: string }
  | { kind: "truncated"; text: string }
  | { kind: "notice"; text: string }
  | { kind: "error"; ename: string; evalue: string; traceback: string }
  | { kind: "bundle"; data: Record<string, unknown>; metadata: Record<string, unknown> | undefined };

const TRUNCATION = /^\n?output truncated: ([\d.]+ MB) more\n?$/;

function toItems(outputs: readonly TOutput[]): TItem[] {
  const items: TItem[] = [];
  for (const output of outputs) {
    if (!output || typeof output !== "object") continue;
    if (output.output_type === "stream") {
      const text = typeof output.text === "string" ? output.text : "";
      const truncated = output.name === "stderr" ? TRUNCATION.exec(text) : null;
      if (truncated) {
        items.push({ kind: "truncated", text: `Output truncated: ${truncated[1]} more was not kept.` });
        continue;
      }
      const previous = items[items.length - 1];
      if (previous?.kind === "stream" && previous.name === output.name) previous.text += text;
      else items.push({ kind: "stream", name: output.name, text });
    } else if (output.output_type === "error") {
      const traceback = Array.isArray(output.traceback) ? output.traceback.join("\n") : "";
      items.push({ kind: "error", ename: String(output.ename), evalue: String(output.evalue), traceback });
    } else if (isImportNotice(output) && output.output_type === "display_data") {
      // Where the imported file had an output Flint could not keep: a banner, not output text.
      items.push({ kind: "notice", text: String(output.data["text/plain"] ?? "") });
    } else if (output.output_type === "display_data" || output.output_type === "execute_result") {
      const data = output.data && typeof output.data === "object" ? output.data : {};
      items.push({ kind: "bundle", data, metadata: output.metadata });
    }
  }
  return items;
}

// A stream is drawn in boxes of this many lines. Each output message of a running cell makes the
// stream longer; in one text node the browser laid out and painted all of it again every time
// (600 lines streaming at 30 a second cost seconds of layout and paint, and delayed keystrokes in
// other cells: issue 23). In boxes, only the last one changes.
const STREAM_LINES_PER_BLOCK = 50;

const StreamBlock = memo(function StreamBlock({ text }: { text: string }) {
  return <span className="nb-stream-block">{text}</span>;
});

function StreamText({ text }: { text: string }) {
  const resolved = resolveStreamText(text);
  // ANSI colours can run on from one line to the next: coloured text is parsed as one piece.
  if (resolved.includes("\u001b")) return <AnsiText text={resolved} />;
  const blocks = splitStreamBlocks(resolved, STREAM_LINES_PER_BLOCK);
  if (blocks.length === 1) return <>{resolved}</>;
  return (
    <>
      {blocks.map((block, index) => (
        // A block is its place in the stream, which only grows at the end: the index is its key.
        <StreamBlock key={index} text={block} />
      ))}
    </>
  );
}

function OutputItem({ item }: { item: TItem }) {
  switch (item.kind) {
    case "stream":
      return (
        <pre className={`nb-pre ${item.name === "stderr" ? "nb-stderr" : ""}`}>
          <StreamText text={item.text} />
        </pre>
      );
    case "notice":
      return (
        <p role="note" className="nb-truncated" data-testid="import-notice">
          {item.text}
        </p>
      );
    case "truncated":
      return (
        <p role="status" className="nb-truncated">
          {item.text}
        </p>
      );
    case "error":
      return (
        // biome-ignore lint/a11y/useSemanticElements: a labelled group, not a form fieldset
        <div className="nb-error" role="group" aria-label={`Error: ${item.ename}`}>
          {item.traceback ? (
            <pre className="nb-pre">
              <AnsiText text={item.traceback} />
            </pre>
          ) : (
            <pre className="nb-pre">
              <span className="font-semibold text-red-700">{item.ename}</span>: {item.evalue}
            </pre>
          )}
        </div>
      );
    case "bundle":
      return <MimeBundle bundle={item.data} metadata={item.metadata} />;
  }
}

/** The broker's notice at the end of a run whose outputs went over the cap. */
const CAP_NOTICE = /output truncated: [\d.]+ MB more\n?$/;

function endsWithCapNotice(outputs: readonly TOutput[]): boolean {
  const last = outputs.at(-1);
  if (last?.output_type !== "stream") return false;
  const text = Array.isArray(last.text) ? last.text.join("") : String(last.text ?? "");
  return CAP_NOTICE.test(text);
}

export const OutputArea = memo(function OutputArea({
  outputs,
  fullOutputUrl,
}: {
  outputs: readonly TOutput[];
  /** Where the run's full text can be downloaded; a link shows when the outputs were capped. */
  fullOutputUrl?: string;
}) {
  const [isCollapsed, setCollapsed] = useState(false);
  const [isExpanded, setExpanded] = useState(false);
  const [isTall, setTall] = useState(false);
  const boxRef = useRef<HTMLDivElement>(null);
  // Whether the box overflows is read in the ResizeObserver's callbacks only, never while the
  // output first mounts: reading `scrollHeight` there forces a layout per output area, and a
  // notebook of 400 outputs spent seconds in them before its first paint (bench/notebook). The
  // observer's first callback comes after the browser's own layout, so all areas share one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the box exists again when un-collapsed
  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const measure = () => setTall(box.scrollHeight > box.clientHeight + 4 || isExpanded);
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
    return () => observer.disconnect();
  }, [isExpanded, isCollapsed]);
  if (outputs.length === 0) return null;
  const items = toItems(outputs);
  return (
    <div className="nb-outputs group/outputs relative">
      <div className="mb-1 flex items-center gap-2">
        <button
          type="button"
          className="nb-link-button"
          aria-expanded={!isCollapsed}
          onClick={() => setCollapsed((value) => !value)}
        >
          {isCollapsed ? `Show output (${items.length})` : "Hide output"}
        </button>
        {fullOutputUrl && endsWithCapNotice(outputs) && (
          <a className="nb-link-button" href={fullOutputUrl} download>
            Download full output
          </a>
        )}
        {!isCollapsed && isTall && (
          <button type="button" className="nb-link-button" onClick={() => setExpanded((value) => !value)}>
            {isExpanded ? "Scroll long output" : "Expand output"}
          </button>
        )}
      </div>
      {!isCollapsed && (
        <div ref={boxRef} className={`nb-output-box ${isExpanded ? "" : "nb-output-scroll"}`}>
          <div>
            {items.map((item, index) => (
              <div key={index} className="nb-output">
                <OutputItem item={item} />
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
});
