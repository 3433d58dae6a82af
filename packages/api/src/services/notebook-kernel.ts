/**
 * Which kernel runs a notebook: its `metadata.kernelspec`, limited to the kernelspecs Flint offers
 * (`FLINT_KERNELSPECS`: shared Spark through Spark Connect, or a dedicated Spark with `sc`;
 * docs/spark.md). Changing it is a metadata-only save (a new version, so an open page's stale save
 * is a conflict and not a silent undo); the route then brings open pages' shared document to it
 * and has the broker restart the kernel as the new kind.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import { FLINT_KERNELSPECS, type TKernelName } from "@flint/kernel/protocol";
import { AppError } from "../errors.js";

/** The nbformat `kernelspec` of one of Flint's kernels. */
export function kernelspecOf(name: TKernelName): { name: string; display_name: string; language: string } {
  const spec = FLINT_KERNELSPECS.find((candidate) => candidate.name === name) ?? FLINT_KERNELSPECS[0];
  return { name: spec.name, display_name: spec.displayName, language: "python" };
}

/**
 * `metadata` of a notebook coming into Flint (an import, a create with content): its kernelspec
 * stays when Flint offers it, else becomes the default (`flint-spark`), so a notebook from
 * JupyterLab ("python3") runs on Flint's kernel without a notice at every start. Other keys stay.
 */
export function withOfferedKernelspec(metadata: Record<string, unknown>): Record<string, unknown> {
  const kernelspec = metadata.kernelspec as { name?: unknown } | undefined;
  const name = typeof kernelspec?.name === "string" ? kernelspec.name : null;
  const offered = FLINT_KERNELSPECS.find((spec) => spec.name === name);
  if (offered && kernelspec) return metadata;
  return { ...metadata, kernelspec: kernelspecOf(FLINT_KERNELSPECS[0].name) };
}

/** The kernelspec name a notebook's stored metadata asks for, or null. */
export function readKernelName(metadata: unknown): string | null {
  const kernelspec = (metadata as { kernelspec?: { name?: unknown } } | null)?.kernelspec;
  return typeof kernelspec?.name === "string" ? kernelspec.name : null;
}

/**
 * Saves `kernelName` as the notebook's kernelspec, as the next version (other metadata and the
 * cells unchanged). Returns the new version and whether the kernelspec changed at all (choosing
 * the kernel the notebook already has saves nothing).
 */
export async function setNotebookKernel(
  prisma: PrismaClient,
  input: { notebookId: string; kernelName: TKernelName },
): Promise<{ version: number; isChanged: boolean }> {
  // Compare-and-swap on `version` inside one transaction: a co-editing save landing between the
  // read and the write makes the write miss; it is read again (a few times) rather than lost.
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await prisma.$transaction(async (tx) => {
      const row = await tx.notebook.findUnique({
        where: { id: input.notebookId },
        select: { version: true, metadata: true },
      });
      if (!row) throw new AppError("not_found", "Notebook not found.");
      const metadata = (row.metadata as Record<string, unknown> | null) ?? {};
      if (readKernelName(metadata) === input.kernelName) return { version: row.version, isChanged: false };
      const updated = await tx.notebook.updateMany({
        where: { id: input.notebookId, version: row.version },
        data: {
          metadata: { ...metadata, kernelspec: kernelspecOf(input.kernelName) } as Prisma.InputJsonValue,
          version: { increment: 1 },
        },
      });
      return updated.count === 1 ? { version: row.version + 1, isChanged: true } : null;
    });
    if (result) return result;
  }
  throw new AppError(
    "conflict",
    "The notebook kept changing while its kernel was being set; try again in a moment.",
  );
}
