/**
 * CSV/TSV/DSV readers for Vega that work under a CSP without `unsafe-eval`.
 *
 * Vega parses delimited text with d3-dsv's `parse`, which compiles a row converter with
 * `new Function` and fails under Flint's CSP ("Data ingestion failed"). These readers build the
 * same objects from d3-dsv's `parseRows`, which compiles nothing: columns from the header row (or
 * `format.header`), missing cells as "", and the `columns` list Vega expects.
 */

import { dsvFormat } from "d3-dsv";

interface TDsvFormat {
  delimiter?: string;
  header?: string[];
}

type TReader = ((data: unknown, format?: TDsvFormat) => Record<string, string>[]) & { responseType: string };

/** A reader for Vega's `formats(name, reader)` that splits on `delimiter` (or `format.delimiter`). */
export function createDsvReader(delimiter?: string): TReader {
  const read = (data: unknown, format: TDsvFormat = {}): Record<string, string>[] => {
    const rows = dsvFormat(delimiter ?? format.delimiter ?? ",").parseRows(String(data));
    const columns = format.header ?? rows.shift() ?? [];
    const objects = rows.map((row) => {
      const object: Record<string, string> = {};
      columns.forEach((name, i) => {
        object[name] = row[i] || "";
      });
      return object;
    });
    return Object.assign(objects, { columns });
  };
  return Object.assign(read, { responseType: "text" });
}

interface TVegaFormats {
  formats(name: string, reader: TReader): unknown;
}

const installed = new WeakSet<object>();

/**
 * Replaces Vega's csv, tsv and dsv readers (once per Vega module). Takes the `vega` module
 * namespace: it exports vega-loader's `formats`, which Vega's typings leave out.
 */
export function installCspSafeFormats(vega: object): void {
  if (installed.has(vega)) return;
  const { formats } = vega as Partial<TVegaFormats>;
  if (typeof formats !== "function") throw new Error("this Vega build does not export formats()");
  formats.call(vega, "csv", createDsvReader(","));
  formats.call(vega, "tsv", createDsvReader("\t"));
  formats.call(vega, "dsv", createDsvReader());
  installed.add(vega);
}
