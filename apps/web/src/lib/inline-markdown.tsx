// A small markdown subset for comments, rendered as React elements (never as HTML strings), so
// any HTML in a comment shows as text (SECURITY.md case 9). Supported: **bold**, *italic*,
// `code`, [links](https://...) to http(s) only, @mentions (typed, or `<@userId>` tokens of picked
// members, shown with the name the API sends along), and line breaks.
import type { ReactNode } from "react";

const TOKEN =
  /(<@[A-Za-z0-9_-]{1,64}>|\*\*[^*]+\*\*|\*[^*\s][^*]*\*|`[^`]+`|\[[^\]]+\]\([^)\s]+\)|(?:^|(?<=\s))@[\w.+-]+)/g;

function renderToken(token: string, key: number, mentionNames: Readonly<Record<string, string>>): ReactNode {
  if (token.startsWith("<@")) {
    const name = mentionNames[token.slice(2, -1)];
    return (
      <span key={key} className="font-medium text-brand-700">
        @{name ?? "unknown member"}
      </span>
    );
  }
  if (token.startsWith("**")) return <strong key={key}>{token.slice(2, -2)}</strong>;
  if (token.startsWith("`"))
    return (
      <code key={key} className="rounded bg-slate-100 px-1 font-mono text-[0.9em]">
        {token.slice(1, -1)}
      </code>
    );
  if (token.startsWith("*")) return <em key={key}>{token.slice(1, -1)}</em>;
  if (token.startsWith("@"))
    return (
      <span key={key} className="font-medium text-brand-700">
        {token}
      </span>
    );
  const match = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token);
  if (match) {
    const [, text, href] = match;
    // Only web links: javascript:, data:, vbscript: and everything else stay plain text.
    if (href && /^https?:\/\//i.test(href)) {
      return (
        <a
          key={key}
          href={href}
          rel="noopener noreferrer nofollow"
          target="_blank"
          className="text-brand-700 underline"
        >
          {text}
        </a>
      );
    }
    return text;
  }
  return token;
}

/** Renders a comment body; `mentionNames` names the users of its `<@userId>` tokens. */
export function InlineMarkdown({
  text,
  mentionNames = {},
}: {
  text: string;
  mentionNames?: Readonly<Record<string, string>>;
}) {
  return (
    <>
      {text.split("\n").map((line, lineIndex) => (
        <span key={lineIndex} className="block">
          {line
            .split(TOKEN)
            .map((part, index) => (index % 2 === 1 ? renderToken(part, index, mentionNames) : part))}
        </span>
      ))}
    </>
  );
}
