// ANSI SGR escape sequences (colours, bold, underline) in stream and traceback text, parsed into
// styled segments that React renders as text: escape codes never become HTML.

export type TAnsiStyle = {
  fg?: string;
  bg?: string;
  isBold?: boolean;
  isDim?: boolean;
  isItalic?: boolean;
  isUnderline?: boolean;
};

export type TAnsiSegment = { text: string; style: TAnsiStyle };

// The 16 base colours: CSS variables (globals.css) holding JupyterLab's light palette, and a
// palette readable on dark surfaces in the dark theme.
const BASE_COLOURS = Array.from({ length: 16 }, (_, index) => `var(--nb-ansi-${index})`);

function colour256(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 255) return undefined;
  if (index < 16) return BASE_COLOURS[index];
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level},${level},${level})`;
  }
  const cube = index - 16;
  const scale = (value: number) => (value === 0 ? 0 : 55 + value * 40);
  return `rgb(${scale(Math.floor(cube / 36))},${scale(Math.floor(cube / 6) % 6)},${scale(cube % 6)})`;
}

function clampByte(value: number | undefined): number {
  return Math.min(255, Math.max(0, Math.trunc(value ?? 0)));
}

function applyCodes(style: TAnsiStyle, codes: number[]): TAnsiStyle {
  const next: TAnsiStyle = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) {
      for (const key of Object.keys(next) as (keyof TAnsiStyle)[]) delete next[key];
    } else if (code === 1) next.isBold = true;
    else if (code === 2) next.isDim = true;
    else if (code === 3) next.isItalic = true;
    else if (code === 4) next.isUnderline = true;
    else if (code === 22) {
      next.isBold = false;
      next.isDim = false;
    } else if (code === 23) next.isItalic = false;
    else if (code === 24) next.isUnderline = false;
    else if (code >= 30 && code <= 37) next.fg = BASE_COLOURS[code - 30];
    else if (code === 39) delete next.fg;
    else if (code >= 40 && code <= 47) next.bg = BASE_COLOURS[code - 40];
    else if (code === 49) delete next.bg;
    else if (code >= 90 && code <= 97) next.fg = BASE_COLOURS[code - 90 + 8];
    else if (code >= 100 && code <= 107) next.bg = BASE_COLOURS[code - 100 + 8];
    else if (code === 38 || code === 48) {
      const mode = codes[i + 1];
      let colour: string | undefined;
      if (mode === 5) {
        colour = colour256(codes[i + 2] ?? -1);
        i += 2;
      } else if (mode === 2) {
        colour = `rgb(${clampByte(codes[i + 2])},${clampByte(codes[i + 3])},${clampByte(codes[i + 4])})`;
        i += 4;
      }
      if (colour) {
        if (code === 38) next.fg = colour;
        else next.bg = colour;
      }
    }
  }
  return next;
}

// CSI sequences (SGR and the cursor/erase codes some tools print) and OSC titles.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape characters is the point
const ESCAPE = /\u001b\[([0-9;?]*)([A-Za-z])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Splits text with ANSI escapes into styled segments; unknown escapes are dropped. */
export function parseAnsi(text: string): TAnsiSegment[] {
  const segments: TAnsiSegment[] = [];
  let style: TAnsiStyle = {};
  let last = 0;
  const push = (chunk: string) => {
    if (chunk === "") return;
    const previous = segments[segments.length - 1];
    if (previous && previous.style === style) previous.text += chunk;
    else segments.push({ text: chunk, style });
  };
  for (const match of text.matchAll(ESCAPE)) {
    push(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] === "m") {
      const codes = (match[1] ?? "").split(";").map((part) => (part === "" ? 0 : Number(part)));
      style = applyCodes(style, codes);
    }
  }
  push(text.slice(last));
  return segments;
}

/** Removes ANSI escapes, for search and copying. */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, "");
}
