// What a panel says about its last action: progress or a warning as a status, a failure as an
// alert. One place, so every project panel announces them to screen readers the same way.

/** Renders whichever of the messages are set; nothing when none is. */
export function FormMessages({
  status,
  warning,
  error,
}: {
  status?: string | null;
  warning?: string | null;
  error?: string | null;
}) {
  return (
    <>
      {status && (
        <p role="status" className="mb-2 text-sm text-slate-600">
          {status}
        </p>
      )}
      {warning && (
        <p role="status" className="mb-2 text-sm text-amber-800">
          {warning}
        </p>
      )}
      {error && (
        <p role="alert" className="mb-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
    </>
  );
}
