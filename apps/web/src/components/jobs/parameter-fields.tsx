// Name = value rows for a job's parameters: the names the notebook's `parameters` cell declares,
// plus rows a person adds. Values are read with `readParameterInput` (JSON when it parses, else text).
"use client";
import type { TParameterValue } from "@flint/notebook";
import { useState } from "react";

/** The parameters typed into {@link ParameterFields}, by name (rows without a name are skipped). */
export function readParameterFields(
  form: FormData,
  read: (text: string) => TParameterValue,
): Record<string, TParameterValue> {
  const names = form.getAll("paramName").map(String);
  const values = form.getAll("paramValue").map(String);
  const result: Record<string, TParameterValue> = {};
  names.forEach((name, index) => {
    const value = values[index] ?? "";
    if (name.trim() !== "" && value.trim() !== "") result[name.trim()] = read(value);
  });
  return result;
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function ParameterFields({
  names,
  values,
  placeholders = {},
}: {
  names: string[];
  values: Record<string, unknown>;
  /** What each field shows when empty (the notebook's default). */
  placeholders?: Record<string, string>;
}) {
  const known = [...new Set([...names, ...Object.keys(values)])];
  const [extra, setExtra] = useState(0);
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 font-medium">Parameters</legend>
      {known.length === 0 && extra === 0 && (
        <p className="text-xs text-slate-500">
          The notebook has no cell tagged “parameters”; values you add are set in a cell run first.
        </p>
      )}
      {known.map((name) => (
        <label key={name} className="flex items-center gap-2">
          <input type="hidden" name="paramName" value={name} />
          <span className="w-32 font-mono">{name}</span>
          <input
            name="paramValue"
            aria-label={`Value of ${name}`}
            className="input flex-1 font-mono"
            defaultValue={name in values ? shown(values[name]) : ""}
            placeholder={placeholders[name] ?? "default"}
          />
        </label>
      ))}
      {Array.from({ length: extra }, (_, index) => (
        <div key={`extra-${index}`} className="flex items-center gap-2">
          <input
            name="paramName"
            aria-label="Parameter name"
            className="input w-32 font-mono"
            placeholder="name"
          />
          <input
            name="paramValue"
            aria-label="Parameter value"
            className="input flex-1 font-mono"
            placeholder="value"
          />
        </div>
      ))}
      <button
        type="button"
        className="btn-secondary h-7 text-xs"
        onClick={() => setExtra((count) => count + 1)}
      >
        Add parameter
      </button>
      <p className="text-xs text-slate-500">
        Values are read as JSON when they parse (5, true, [1, 2]); else as text.
      </p>
    </fieldset>
  );
}
