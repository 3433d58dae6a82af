// How an output reaches the notebook around it: a table's "Chart" button and a chart's "Edit in
// builder" open the chart builder, which writes a `%chart` cell. Outputs are also drawn where
// nothing can be edited (published pages, read-only roles): there the context is null and the
// buttons do not show.
import type { TTableColumn } from "@flint/charts";
import { createContext, useContext } from "react";

/** What the builder opens with. */
export type TChartBuilderRequest = {
  /** The cell whose output asked: the new cell goes below it (or replaces its `%chart` line). */
  cellId: string;
  /** The DataFrame's columns and their pandas or Spark types. */
  columns: TTableColumn[];
  /** The variable that holds the DataFrame, when the kernel knew it. */
  variable?: string;
  /** The `%chart` line of a chart output being edited. */
  command?: string;
};

/** Opens the builder for this output's cell; null where outputs are read-only. */
export type TOpenChartBuilder = ((request: Omit<TChartBuilderRequest, "cellId">) => void) | null;

export const ChartBuilderContext = createContext<TOpenChartBuilder>(null);

/** The builder opener of the surrounding cell, or null when the notebook cannot be edited here. */
export function useChartBuilder(): TOpenChartBuilder {
  return useContext(ChartBuilderContext);
}
