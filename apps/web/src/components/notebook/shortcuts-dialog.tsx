// The keyboard shortcuts of the notebook (H or ? in command mode, or the toolbar). Drawn from the
// command table the key handlers use, so it lists exactly the keys that work.
"use client";
import { COMMANDS, EDITOR_KEYS, type TCommand } from "@/lib/notebook/commands";
import { Modal } from "../ui/modal";

function Keys({ keys }: { keys: readonly string[] }) {
  return (
    <span className="flex flex-wrap justify-end gap-1">
      {keys.map((key) => (
        <kbd
          key={key}
          className="rounded border border-slate-300 bg-slate-50 px-1.5 font-mono text-[11px] text-slate-700"
        >
          {key}
        </kbd>
      ))}
    </span>
  );
}

function ShortcutTable({
  title,
  rows,
}: {
  title: string;
  rows: { label: string; keys: readonly string[] }[];
}) {
  return (
    <section>
      <h3 className="mb-1 text-sm font-semibold text-slate-700">{title}</h3>
      <table aria-label={title} className="w-full text-sm">
        <tbody>
          {rows.map((row) => (
            <tr key={row.label} className="border-b border-slate-100 last:border-0">
              <td className="py-1 pr-4 text-slate-800">{row.label}</td>
              <td className="py-1">
                <Keys keys={row.keys} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const withKeys = (pick: (command: TCommand) => readonly string[] | undefined) =>
  COMMANDS.flatMap((command) => {
    const keys = pick(command) ?? [];
    return keys.length > 0 ? [{ label: command.label, keys }] : [];
  });

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const commandMode = withKeys((command) => command.keys);
  const editMode = [
    ...withKeys((command) => command.editKeys),
    ...Object.values(EDITOR_KEYS).map((entry) => ({ label: entry.label, keys: [entry.key] })),
  ];
  return (
    <Modal
      labelledBy="shortcuts-title"
      onClose={onClose}
      isClosedByBackdrop
      className="max-h-[85vh] w-full max-w-3xl overflow-y-auto bg-white p-5"
    >
      <div className="mb-3 flex items-center justify-between">
        <h2 id="shortcuts-title" className="text-lg font-semibold">
          Keyboard shortcuts
        </h2>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="mb-4 text-sm text-slate-600">
        Like Jupyter: <kbd>Esc</kbd> leaves the editor (command mode), <kbd>Enter</kbd> edits the selected
        cell. "D D" means pressing D twice. Ctrl is Cmd on a Mac. Your role may leave some of these
        unavailable.
      </p>
      <div className="grid gap-6 md:grid-cols-2">
        <ShortcutTable title="Command mode" rows={commandMode} />
        <ShortcutTable title="Edit mode" rows={editMode} />
      </div>
    </Modal>
  );
}
