/**
 * The notebook outline (table of contents) from markdown headings. Heading text is plain text:
 * HTML tags are removed as text and never parsed, so `# <img src=x onerror=alert(1)>` can not run
 * anything wherever the outline is shown (SECURITY.md case 9). Views still render it as text.
 */

import type { TNotebook } from "./model";

/** One heading of the outline. */
export type THeading = {
  /** The markdown cell the heading is in. */
  cellId: string;
  /** 1 for `#`, up to 6 for `######`. */
  level: number;
  /** The heading as plain text. */
  text: string;
};

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
// Lines that cannot start a paragraph: indented code, list items, quotes, HTML blocks.
const NOT_PARAGRAPH_START = /^(?: {4}|\t)|^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>|<)/;

/**
 * Lists the headings of every markdown cell in notebook order: ATX (`## Title`) and setext
 * (`Title` over `===` or `---`) headings, skipping fenced code blocks. Headings whose text is empty
 * once markup is removed are left out.
 */
export function extractHeadings(notebook: TNotebook): THeading[] {
  const headings: THeading[] = [];
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    for (const { level, raw } of findHeadings(cell.source)) {
      const text = toPlainText(raw);
      if (text !== "") headings.push({ cellId: cell.id, level, text });
    }
  }
  return headings;
}

function findHeadings(source: string): Array<{ level: number; raw: string }> {
  const found: Array<{ level: number; raw: string }> = [];
  let fence: string | null = null;
  let paragraph: string[] = [];
  for (const line of source.split(/\r\n|\r|\n/)) {
    if (fence !== null) {
      const close = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
      if (close.test(line)) fence = null;
      continue;
    }
    const opening = FENCE_OPEN.exec(line);
    if (opening) {
      fence = opening[1]!;
      paragraph = [];
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      found.push({ level: atx[1]!.length, raw: atx[2] ?? "" });
      paragraph = [];
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraph.length > 0) {
      found.push({ level: underline[1]!.startsWith("=") ? 1 : 2, raw: paragraph.join(" ") });
      paragraph = [];
      continue;
    }
    // A paragraph starts only at a non-indented line; blank lines end it.
    if (/^\s*$/.test(line)) paragraph = [];
    else if (paragraph.length > 0 || !NOT_PARAGRAPH_START.test(line)) paragraph.push(line.trim());
  }
  return found;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * Markdown inline markup to plain text: tags and comments removed (as text, never parsed),
 * links and images reduced to their text, emphasis and code markers dropped, entities decoded
 * last so `&lt;b&gt;` stays visible as the text `<b>`.
 */
function toPlainText(raw: string): string {
  return raw
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<\/?[a-zA-Z][^>]*>/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`+([^`]*)`+/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(^|[^\w*])\*(?!\s)([^*]+?)\*(?!\w)/g, "$1$2")
    .replace(/(^|\W)_(?!\s)([^_]+?)_(?!\w)/g, "$1$2")
    .replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (entity, name: string) => decodeEntity(name) ?? entity)
    .replace(/\s+/g, " ")
    .trim();
}

function decodeEntity(name: string): string | undefined {
  if (name.startsWith("#")) {
    const code =
      name[1] === "x" || name[1] === "X"
        ? Number.parseInt(name.slice(2), 16)
        : Number.parseInt(name.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return ENTITIES[name];
}
