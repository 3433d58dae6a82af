/** Node-only part of `@flint/charts`: serving the bundled example datasets. */

export {
  handleVegaDatasetRequest,
  resolveVegaDatasetFile,
  type TDatasetFile,
  vegaDatasetsDir,
} from "./vega-datasets";
