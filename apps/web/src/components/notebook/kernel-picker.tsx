// The toolbar's kernel picker, as JupyterLab's kernel name button and Databricks' cluster attach:
// it shows which kernel runs the notebook, and whoever may run it chooses another kind there
// (shared Spark or a dedicated Spark with `sc`). Changing restarts the kernel, so the dialog says
// what is lost before anything happens.
"use client";
import { chooseKernel, FLINT_KERNELSPECS, kernelDisplayName, type TKernelName } from "@flint/kernel/protocol";
import { useState } from "react";
import type { NotebookController } from "@/lib/notebook/controller";
import { useMeta } from "@/lib/notebook/hooks";
import { ConfirmDialog } from "../ui/confirm-dialog";

/** The kernel the page shows: the broker's word, else what the notebook's metadata asks for. */
function useKernelChoice(controller: NotebookController) {
  const meta = useMeta(controller.store);
  if (meta.kernelChoice) return meta.kernelChoice;
  const kernelspec = controller.store.getNotebook().metadata.kernelspec;
  return chooseKernel(kernelspec?.name);
}

export function KernelPicker({ controller }: { controller: NotebookController }) {
  const meta = useMeta(controller.store);
  const choice = useKernelChoice(controller);
  const [isOpen, setOpen] = useState(false);
  const label = kernelDisplayName(choice.name);
  const mayChange = meta.permissions.changeKernel;
  return (
    <>
      {mayChange ? (
        <button
          type="button"
          className="btn-secondary h-8"
          data-testid="kernel-picker"
          title={choice.notice ?? "The kernel this notebook runs on: click to choose another"}
          aria-label={`Kernel: ${label}. Choose another kernel`}
          onClick={() => setOpen(true)}
        >
          {choice.notice && (
            <span aria-hidden className="mr-1 text-amber-600">
              ⚠
            </span>
          )}
          {label}
        </button>
      ) : (
        <span
          className="text-xs text-slate-600"
          data-testid="kernel-picker"
          title={choice.notice ?? "The kernel this notebook runs on"}
        >
          {label}
        </span>
      )}
      {isOpen && (
        <KernelDialog
          current={choice.name}
          notice={choice.notice}
          hasKernel={!["not started", "unknown", "dead"].includes(meta.kernelStatus)}
          onChoose={(name) =>
            controller
              .changeKernel(name)
              .catch((error: Error) => controller.notify(`The kernel was not changed: ${error.message}`))
          }
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

function KernelDialog({
  current,
  notice,
  hasKernel,
  onChoose,
  onClose,
}: {
  current: string;
  notice: string | undefined;
  /** A kernel runs now: changing restarts it and its state is lost. */
  hasKernel: boolean;
  onChoose: (name: TKernelName) => void;
  onClose: () => void;
}) {
  const [selected, setSelected] = useState<string>(current);
  const picked = FLINT_KERNELSPECS.find((spec) => spec.name === selected);
  const isChange = picked !== undefined && picked.name !== current;
  return (
    <ConfirmDialog
      title="Select a kernel"
      isWide
      tone="primary"
      confirmLabel={hasKernel ? "Change kernel and restart" : "Change kernel"}
      isConfirmDisabled={!isChange}
      onConfirm={() => {
        if (picked) onChoose(picked.name);
      }}
      onClose={onClose}
      body={
        <>
          {notice && <p className="mt-2 rounded bg-amber-50 px-2 py-1 text-sm text-amber-800">{notice}</p>}
          <fieldset className="mt-3 space-y-2">
            <legend className="sr-only">Kernel</legend>
            {FLINT_KERNELSPECS.map((spec) => (
              <label
                key={spec.name}
                className={`flex cursor-pointer gap-3 rounded border p-3 ${selected === spec.name ? "border-sky-500 bg-sky-50" : "border-slate-200"}`}
              >
                <input
                  type="radio"
                  name="kernel"
                  value={spec.name}
                  checked={selected === spec.name}
                  onChange={() => setSelected(spec.name)}
                  className="mt-1"
                />
                <span>
                  <span className="block text-sm font-medium text-slate-900">
                    {spec.displayName}
                    {spec.name === current ? " (current)" : ""}
                  </span>
                  <span className="block text-xs text-slate-600">{spec.description}</span>
                </span>
              </label>
            ))}
          </fieldset>
          {isChange && (
            <p className="mt-3 text-sm text-slate-700" data-testid="kernel-change-warning">
              {hasKernel
                ? "The kernel restarts as the new kind: all variables and imports are lost, and cells that use them must run again. Outputs stay."
                : "The notebook's next run starts the new kind of kernel."}{" "}
              Everyone who has this notebook open gets the new kernel too.
            </p>
          )}
        </>
      }
    />
  );
}
