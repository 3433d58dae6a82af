// Text with ANSI colours, rendered as React text nodes (never HTML).
import { type CSSProperties, memo } from "react";
import { parseAnsi } from "@/lib/notebook/ansi";

// Beyond this, colouring costs more than it helps; the truncated box still shows the text.
const MAX_ANSI_CHARS = 500_000;

export const AnsiText = memo(function AnsiText({ text }: { text: string }) {
  if (text.length > MAX_ANSI_CHARS || !text.includes("\u001b")) return <>{text}</>;
  return (
    <>
      {parseAnsi(text).map((segment, index) => {
        const { style } = segment;
        if (
          !style.fg &&
          !style.bg &&
          !style.isBold &&
          !style.isItalic &&
          !style.isUnderline &&
          !style.isDim
        ) {
          return <span key={index}>{segment.text}</span>;
        }
        const css: CSSProperties = {
          color: style.fg,
          backgroundColor: style.bg,
          fontWeight: style.isBold ? 600 : undefined,
          fontStyle: style.isItalic ? "italic" : undefined,
          textDecoration: style.isUnderline ? "underline" : undefined,
          opacity: style.isDim ? 0.7 : undefined,
        };
        return (
          <span key={index} style={css}>
            {segment.text}
          </span>
        );
      })}
    </>
  );
});
