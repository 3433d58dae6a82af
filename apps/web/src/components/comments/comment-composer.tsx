"use client";
// The comment box with the "@" autocomplete: typing "@" and letters lists matching project
// members (name and email); arrows move, Enter or Tab or a click picks, Escape closes. The box
// shows "@Name"; what is sent has the picked member's id (`<@userId>`), so two members of the
// same name stay apart and the right one is notified.
import {
  decodeMentions,
  encodeMentions,
  findMentionQuery,
  matchMembers,
  mentionLabel,
  type TMentionMember,
  type TMentionPick,
} from "@flint/api/mentions";
import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";

export type { TMentionMember } from "@flint/api/mentions";

type TField = HTMLTextAreaElement | HTMLInputElement;

/**
 * A comment form: a textarea (or a one-line input for replies) with member mentions, and a
 * submit button. `onSubmit` gets the body to store and says whether it was saved (then the
 * box empties).
 */
export function CommentComposer({
  label,
  placeholder,
  submitLabel,
  submitClassName = "btn-primary",
  isMultiline = true,
  initialBody = "",
  members,
  meId,
  onSubmit,
  className = "",
}: {
  label: string;
  placeholder?: string;
  submitLabel: string;
  submitClassName?: string;
  isMultiline?: boolean;
  /** A stored body to edit: its member tokens show as "@Name". */
  initialBody?: string;
  /** The project's members (null while they load: typing works, the list waits). */
  members: readonly TMentionMember[] | null;
  meId: string | null;
  onSubmit: (body: string) => Promise<boolean>;
  className?: string;
}) {
  // Decoded once: an edit starts from the stored body, then the box is the person's.
  const [initial] = useState(() => decodeMentions(initialBody, members ?? []));
  const [text, setText] = useState(initial.text);
  const [picks, setPicks] = useState<TMentionPick[]>(initial.picks);
  const [caret, setCaret] = useState(initial.text.length);
  const [activeIndex, setActiveIndex] = useState(0);
  // The "@" whose list was closed (by a pick or Escape): it stays closed until another "@".
  const [closedAt, setClosedAt] = useState<number | null>(null);
  const [isSending, setSending] = useState(false);
  const fieldRef = useRef<TField>(null);
  const pendingCaret = useRef<number | null>(null);
  const listId = useId();

  const others = useMemo(() => (members ?? []).filter((member) => member.id !== meId), [members, meId]);
  const mention = findMentionQuery(text, caret);
  const options = mention && mention.start !== closedAt ? matchMembers(mention.query, others) : [];
  const isOpen = options.length > 0;
  const active = Math.min(activeIndex, options.length - 1);

  useLayoutEffect(() => {
    if (pendingCaret.current === null) return;
    fieldRef.current?.setSelectionRange(pendingCaret.current, pendingCaret.current);
    pendingCaret.current = null;
  });

  const track = (field: TField) => {
    const next = field.selectionStart ?? field.value.length;
    if (next !== caret) setCaret(next);
  };

  const pick = (member: TMentionMember) => {
    if (!mention) return;
    const label = mentionLabel(member, members ?? []);
    const inserted = `@${label} `;
    const next = text.slice(0, mention.start) + inserted + text.slice(caret);
    setText(next);
    setPicks((current) => [
      ...current.filter((entry) => entry.label !== label),
      { label, userId: member.id },
    ]);
    setClosedAt(mention.start);
    setCaret(mention.start + inserted.length);
    pendingCaret.current = mention.start + inserted.length;
    fieldRef.current?.focus();
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!text.trim() || isSending) return;
    setSending(true);
    try {
      if (await onSubmit(encodeMentions(text, picks))) {
        setText("");
        setPicks([]);
        setCaret(0);
        setClosedAt(null);
      }
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<TField>) => {
    if (isOpen) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActiveIndex((active + step + options.length) % options.length);
        return;
      }
      if (
        (event.key === "Enter" || event.key === "Tab") &&
        !event.shiftKey &&
        !event.nativeEvent.isComposing
      ) {
        event.preventDefault();
        const member = options[active];
        if (member) pick(member);
        return;
      }
      if (event.key === "Escape") {
        // The list closes, not whatever holds the box (a dialog).
        event.preventDefault();
        event.stopPropagation();
        setClosedAt(mention?.start ?? null);
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    }
  };

  const fieldProps = {
    value: text,
    placeholder,
    "aria-label": label,
    "aria-autocomplete": "list" as const,
    "aria-controls": isOpen ? listId : undefined,
    "aria-activedescendant": isOpen ? `${listId}-${active}` : undefined,
    className: "input",
    onChange: (event: { currentTarget: TField }) => {
      setText(event.currentTarget.value);
      setActiveIndex(0);
      track(event.currentTarget);
    },
    onSelect: (event: { currentTarget: TField }) => track(event.currentTarget),
    onKeyDown,
  };

  return (
    <form onSubmit={submit} className={className} aria-label={label}>
      <div className="relative flex-1">
        {isMultiline ? (
          <textarea ref={fieldRef as RefObject<HTMLTextAreaElement>} rows={2} required {...fieldProps} />
        ) : (
          <input ref={fieldRef as RefObject<HTMLInputElement>} required {...fieldProps} />
        )}
        {isOpen && (
          <div
            id={listId}
            role="listbox"
            aria-label="Mention a member"
            className="card absolute left-0 top-full z-30 mt-1 max-h-60 w-72 overflow-auto py-1"
          >
            {options.map((member, index) => (
              <div
                key={member.id}
                id={`${listId}-${index}`}
                role="option"
                tabIndex={-1}
                aria-selected={index === active}
                className={`cursor-pointer px-3 py-1.5 text-sm ${index === active ? "bg-slate-100" : "hover:bg-slate-50"}`}
                onMouseDown={(event) => {
                  // mousedown, not click: the caret stays in the box, where the name goes.
                  event.preventDefault();
                  pick(member);
                }}
              >
                <span className="font-medium">{member.name}</span>{" "}
                <span className="text-xs text-slate-500">{member.email}</span>
              </div>
            ))}
          </div>
        )}
      </div>
      <button type="submit" className={submitClassName} disabled={isSending}>
        {submitLabel}
      </button>
    </form>
  );
}
