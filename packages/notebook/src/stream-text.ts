/**
 * Carriage-return and backspace handling for stream text, with the effect JupyterLab's
 * `fixCarriageReturn(fixBackspace(text))` has on progress output: `\r` returns to the start of
 * the line and what follows overwrites it, `\r\n` is a plain newline, `\b` deletes the character
 * before it on the same line. So a `tqdm` or Spark progress bar that redraws one line thousands of
 * times stays one line, and the stored text is what the user sees (no `\r` left in it).
 *
 * Only the last line of a stream can still change, so the folder re-plays just that line (and
 * the column the cursor was left at) plus the new chunk, never the whole text.
 */

/** The stream's new last part: text that replaces the old last line, and where the cursor is. */
export type TStreamChunkResult = {
  /** The old last line with the chunk played onto it; may contain completed lines. */
  text: string;
  /** Offset in `text` where its last (unterminated) line starts. */
  lastLineStart: number;
  /**
   * Column (in code points) of the cursor in the last line when a `\r` left it before the end of
   * the line, so the next chunk overwrites from there; `null` when the cursor is at the end.
   */
  cursor: number | null;
};

/** Tells whether a chunk needs the line machinery at all (most chunks do not). */
export function hasControlCharacters(text: string): boolean {
  return text.includes("\r") || text.includes("\b");
}

/**
 * Plays `chunk` onto `lastLine` (the stream text after its last `"\n"`), starting at column
 * `cursor` (`null`: at the end of the line), as a terminal would: `\r` moves to column 0,
 * characters overwrite, `\b` deletes the character before the cursor (never a newline).
 */
export function applyStreamChunk(lastLine: string, cursor: number | null, chunk: string): TStreamChunkResult {
  const done: string[] = [];
  // Code points, so an emoji is overwritten or deleted whole.
  let shown = Array.from(lastLine);
  let column = cursor === null ? shown.length : Math.min(cursor, shown.length);
  for (const char of chunk) {
    if (char === "\n") {
      done.push(shown.join(""), "\n");
      shown = [];
      column = 0;
    } else if (char === "\r") {
      column = 0;
    } else if (char === "\b") {
      if (column > 0) {
        shown.splice(column - 1, 1);
        column--;
      }
    } else {
      if (column < shown.length) shown[column] = char;
      else shown.push(char);
      column++;
    }
  }
  const head = done.join("");
  return {
    text: head + shown.join(""),
    lastLineStart: head.length,
    cursor: column < shown.length ? column : null,
  };
}

/**
 * Resolves `\r` and `\b` in a whole stream text, for text that did not come through the folder
 * (an imported notebook written by a tool that kept them). Completed lines show their final state.
 */
export function resolveStreamText(text: string): string {
  return hasControlCharacters(text) ? applyStreamChunk("", null, text).text : text;
}

/**
 * Cuts resolved stream text into blocks of `linesPerBlock` lines, for a view that renders each
 * block as its own box: as a stream grows, every block but the last keeps its text, so the page
 * lays out and paints only the tail instead of the whole output on every message (issue 23).
 * Each block keeps the newline that ends its last line: in Chromium, boxes of `pre-wrap` text cut
 * that way have the same height, copied text and `textContent` as the whole text in one box (a
 * block without it loses an empty last line). Joining the blocks gives `text` back.
 */
export function splitStreamBlocks(text: string, linesPerBlock: number): string[] {
  if (!Number.isInteger(linesPerBlock) || linesPerBlock < 1)
    throw new RangeError(`linesPerBlock must be a positive integer, got ${linesPerBlock}`);
  const blocks: string[] = [];
  let start = 0;
  let lines = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) {
    lines++;
    if (lines === linesPerBlock) {
      blocks.push(text.slice(start, at + 1));
      start = at + 1;
      lines = 0;
    }
  }
  if (start < text.length || blocks.length === 0) blocks.push(text.slice(start));
  return blocks;
}
