// Ctrl+Shift+P: every command with its keys, filtered as you type.
"use client";
import { useMemo, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { availableCommands, type TCommandContext } from "@/lib/notebook/commands";
import { Modal } from "../ui/modal";

export function CommandPalette({ ctx, onClose }: { ctx: TCommandContext; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const commands = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return availableCommands(ctx.store).filter((command) =>
      words.every(
        (word) =>
          command.label.toLowerCase().includes(word) || command.keys.join(" ").toLowerCase().includes(word),
      ),
    );
  }, [ctx.store, query]);
  const runAt = (at: number) => {
    const command = commands[at];
    if (!command) return;
    // Closed first and at once: the page behind the open <dialog> is inert, so a command that
    // focuses a cell must run after the palette has left.
    flushSync(onClose);
    command.run(ctx);
  };
  return (
    // The palette exists to be typed into: focus starts in the search box. A press outside closes
    // it, like VS Code's and JupyterLab's palettes; Escape closes it through the shell.
    <Modal
      label="Command palette"
      onClose={onClose}
      isClosedByBackdrop
      placement="top"
      initialFocus={searchRef}
      className="w-[32rem] overflow-hidden"
    >
      <input
        ref={searchRef}
        aria-label="Search commands"
        placeholder="Type a command"
        className="w-full border-b border-slate-200 px-4 py-3 text-sm outline-none"
        value={query}
        role="combobox"
        aria-expanded="true"
        aria-controls="nb-palette-list"
        aria-activedescendant={commands[index] ? `nb-palette-${commands[index].id}` : undefined}
        onChange={(event) => {
          setQuery(event.target.value);
          setIndex(0);
        }}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown") {
            event.preventDefault();
            setIndex((value) => Math.min(value + 1, commands.length - 1));
          } else if (event.key === "ArrowUp") {
            event.preventDefault();
            setIndex((value) => Math.max(value - 1, 0));
          } else if (event.key === "Enter") {
            event.preventDefault();
            runAt(index);
          }
        }}
      />
      <div id="nb-palette-list" role="listbox" aria-label="Commands" className="max-h-96 overflow-auto py-1">
        {commands.length === 0 && <p className="px-4 py-2 text-sm text-slate-500">No matching command.</p>}
        {commands.map((command, at) => (
          <div
            key={command.id}
            tabIndex={-1}
            id={`nb-palette-${command.id}`}
            role="option"
            aria-selected={at === index}
            className={`flex cursor-pointer items-center justify-between px-4 py-2 text-sm ${
              at === index ? "bg-brand-50 text-slate-900" : "text-slate-700"
            }`}
            onMouseEnter={() => setIndex(at)}
            onClick={() => runAt(at)}
            onKeyDown={() => undefined}
          >
            <span>{command.label}</span>
            <span className="flex gap-1">
              {command.keys.slice(0, 2).map((key) => (
                <kbd
                  key={key}
                  className="rounded border border-slate-300 bg-slate-50 px-1.5 text-[11px] text-slate-600"
                >
                  {key}
                </kbd>
              ))}
            </span>
          </div>
        ))}
      </div>
    </Modal>
  );
}
