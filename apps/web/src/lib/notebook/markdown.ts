// Markdown cells and `text/markdown` outputs: marked (GitHub flavour) → the output sanitizer →
// KaTeX for math. Math is cut out before marked runs (so `_` and `*` inside formulas are not read
// as emphasis) and put back after sanitizing: KaTeX builds those nodes itself from the formula
// text, with `trust: false`, so `\href{javascript:...}` and friends render as errors.
import katex from "katex";
import { Marked } from "marked";
import type { TSanitizer } from "./sanitize";

type TMath = { tex: string; isDisplay: boolean };

const TOKEN = /FLINTMATH(\d+)X/g;

const marked = new Marked({ gfm: true, breaks: false, async: false });

/**
 * Replaces `$$…$$`, `\[…\]`, `$…$` and `\(…\)` outside code with tokens (JupyterLab's rules:
 * inline `$` must not be followed by a space, and `\$` is a dollar sign).
 */
export function extractMath(source: string): { text: string; math: TMath[] } {
  const math: TMath[] = [];
  const out: string[] = [];
  // Fenced blocks and inline code spans are copied as they are.
  const parts = source.split(
    /(^ {0,3}(?:```|~~~)[^\n]*\n[\s\S]*?(?:^ {0,3}(?:```|~~~)[ \t]*$|(?![\s\S]))|`+[^`\n]*`+)/m,
  );
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      out.push(part);
      return;
    }
    out.push(
      part.replace(
        /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|(?<![\\$])\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/g,
        (
          _match,
          display: string | undefined,
          bracket: string | undefined,
          paren: string | undefined,
          inline: string | undefined,
        ) => {
          const isDisplay = display !== undefined || bracket !== undefined;
          math.push({ tex: (display ?? bracket ?? paren ?? inline ?? "").trim(), isDisplay });
          return `FLINTMATH${math.length - 1}X`;
        },
      ),
    );
  });
  return { text: out.join(""), math };
}

/** Renders TeX into an element with KaTeX; errors show as red source text, never throw. */
export function renderTex(tex: string, element: HTMLElement, isDisplay: boolean): void {
  try {
    katex.render(tex, element, {
      displayMode: isDisplay,
      throwOnError: false,
      trust: false,
      strict: "ignore",
      maxSize: 50,
      maxExpand: 1000,
    });
  } catch {
    element.textContent = tex;
  }
}

function restoreMath(fragment: DocumentFragment, math: TMath[]): void {
  if (math.length === 0) return;
  const doc = fragment.ownerDocument;
  const walker = doc.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  const textNodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if ((node as Text).data.includes("FLINTMATH")) textNodes.push(node as Text);
  }
  for (const node of textNodes) {
    const pieces = node.data.split(TOKEN);
    const replacement = doc.createDocumentFragment();
    pieces.forEach((piece, index) => {
      if (index % 2 === 0) {
        if (piece) replacement.append(piece);
        return;
      }
      const entry = math[Number(piece)];
      if (!entry) return;
      const holder = doc.createElement(entry.isDisplay ? "div" : "span");
      holder.className = entry.isDisplay ? "nb-math-display" : "nb-math";
      renderTex(entry.tex, holder, entry.isDisplay);
      replacement.append(holder);
    });
    node.replaceWith(replacement);
  }
}

/**
 * Resolves `attachment:name` image links of a markdown cell to `data:` URLs of base64 images.
 * Other attachment types are dropped (an SVG attachment would be a script vector in `<img>`-less
 * contexts, and nothing else renders as an image).
 */
function resolveAttachments(
  source: string,
  attachments: Record<string, Record<string, unknown>> | undefined,
) {
  if (!attachments) return source;
  return source.replace(/attachment:([^\s)"'>]+)/g, (whole, name: string) => {
    const bundle = attachments[decodeURIComponent(name)];
    if (!bundle) return whole;
    for (const mime of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
      const value = bundle[mime];
      if (typeof value === "string" && /^[A-Za-z0-9+/=\s]+$/.test(value)) {
        return `data:${mime};base64,${value.replace(/\s+/g, "")}`;
      }
    }
    return whole;
  });
}

/** Renders markdown to a sanitized fragment with math rendered. */
export function renderMarkdown(
  source: string,
  sanitizer: TSanitizer,
  attachments?: Record<string, Record<string, unknown>>,
): DocumentFragment {
  const { text, math } = extractMath(resolveAttachments(source, attachments));
  const html = marked.parse(text) as string;
  const fragment = sanitizer.sanitizeToFragment(html);
  restoreMath(fragment, math);
  return fragment;
}
