/**
 * Small line icons drawn inline, in the text's colour. Emoji looked like empty boxes on
 * machines without an emoji font (a plain Linux desktop, CI's Chromium); these need no font.
 */
import type { SVGProps } from "react";

function Icon({ children, ...props }: SVGProps<SVGSVGElement>) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="1em"
      height="1em"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className="inline-block shrink-0 align-[-0.125em]"
      {...props}
    >
      {children}
    </svg>
  );
}

/** A bell (notifications). */
export function BellIcon(props: SVGProps<SVGSVGElement>) {
  return (
    <Icon {...props}>
      <path d="M12 3a5 5 0 0 0-5 5v4l-2 4h14l-2-4V8a5 5 0 0 0-5-5z" />
      <path d="M10 19a2 2 0 0 0 4 0" />
    </Icon>
  );
}

/** A speech bubble (comments). */
export function CommentIcon(props: SVGProps<SVGSVGElement>) {
  return (
    <Icon {...props}>
      <path d="M4 5h16v11H9l-5 4z" />
    </Icon>
  );
}

/** A pin (a pinned chart). */
export function PinIcon(props: SVGProps<SVGSVGElement>) {
  return (
    <Icon {...props}>
      <path d="M9 3h6l-1 6 3 3H7l3-3z" />
      <path d="M12 12v9" />
    </Icon>
  );
}
