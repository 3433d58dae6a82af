// The code an application developer copies from a deployment's page: a curl command and a Python
// call of its predict route, with an example row built from the model's input columns.

/** An example value for a column of MLflow type `type`. */
function exampleValue(type: string): unknown {
  if (type === "double" || type === "float") return 1.5;
  if (type === "long" || type === "integer") return 1;
  if (type === "boolean") return true;
  if (type === "datetime") return "2026-01-01T00:00:00";
  return "text";
}

/** `{"rows": [{...}]}` with one example row for `columns` (a placeholder without a signature). */
export function examplePayload(columns: { name: string; type: string }[] | null): { rows: unknown[] } {
  if (!columns || columns.length === 0) return { rows: [{ feature: 1.5 }] };
  return { rows: [Object.fromEntries(columns.map((column) => [column.name, exampleValue(column.type)]))] };
}

/** A curl command that calls `url` with `key` and `payload`. */
export function curlSnippet(url: string, key: string, payload: unknown): string {
  const body = JSON.stringify(payload).replaceAll("'", "'\\''");
  return [
    `curl -X POST '${url}' \\`,
    `  -H 'Authorization: Bearer ${key}' \\`,
    "  -H 'Content-Type: application/json' \\",
    `  -d '${body}'`,
  ].join("\n");
}

/** The same call in Python with `requests`. */
export function pythonSnippet(url: string, key: string, payload: unknown): string {
  return [
    "import requests",
    "",
    "answer = requests.post(",
    `    ${JSON.stringify(url)},`,
    `    headers={"Authorization": "Bearer ${key}"},`,
    `    json=${toPython(payload)},`,
    "    timeout=10,",
    ")",
    "answer.raise_for_status()",
    'print(answer.json()["predictions"])',
  ].join("\n");
}

/** A JSON value as a Python literal (True, False, None). */
function toPython(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(toPython).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${JSON.stringify(key)}: ${toPython(item)}`)
      .join(", ")}}`;
  return JSON.stringify(value);
}
