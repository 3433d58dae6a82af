import { describe, expect, it } from "vitest";
import { explainFailure, flavorOfMlmodel, readJobLines, scoringCell } from "./batch-scores.js";

const SPARK_MLMODEL = `artifact_path: model
flavors:
  python_function:
    data: sparkml
    env:
      conda: conda.yaml
    loader_module: mlflow.spark
  spark:
    model_data: sparkml
    pyspark_version: 4.3.0
mlflow_version: 3.17.2
model_uuid: 0f4c
`;

const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
  sklearn:
    sklearn_version: 1.9.1
signature:
  inputs: '[{"type": "double", "name": "spark", "required": true}]'
`;

describe("batch scoring helpers", () => {
  it("tells a Spark ML model from a pyfunc one by the MLmodel's flavors, not by words elsewhere", () => {
    expect(flavorOfMlmodel(SPARK_MLMODEL)).toBe("spark");
    // A column named "spark" in the signature is not a flavor.
    expect(flavorOfMlmodel(SKLEARN_MLMODEL)).toBe("pyfunc");
    expect(flavorOfMlmodel("flavors:\n  onnx:\n    x: 1\n")).toBeNull();
    expect(flavorOfMlmodel("artifact_path: model\n")).toBeNull();
  });

  it("reads the job's last progress and its result from stream outputs, skipping cut lines", () => {
    const { progress, result } = readJobLines([
      { output_type: "stream", name: "stdout", text: 'FLINT_BATCH_PROGRESS {"done":1,"total":4}\nscoring\n' },
      {
        output_type: "stream",
        name: "stdout",
        text: 'FLINT_BATCH_PROGRESS {"done":3,"total":4}\nFLINT_BATCH_PROGRESS {"do',
      },
      { output_type: "stream", name: "stderr", text: 'FLINT_BATCH_RESULT {"rows":5,"columns":[]}\n' },
    ]);
    expect(progress).toEqual({ done: 3, total: 4 });
    expect(result).toEqual({ rows: 5, columns: [] });
    expect(readJobLines([])).toEqual({ progress: null, result: null });
  });

  it("passes the spec as a string literal that no value can close", () => {
    const spec = { modelDir: '/x")\nimport os; os.system("id")  #', outputPath: "\\\u2028" };
    const { source } = scoringCell(spec);
    const literal = /json\.loads\((".*")\), spark\)$/.exec(source)?.[1];
    expect(literal).toBeDefined();
    // The literal is one JSON string (which Python reads the same) holding the whole spec.
    expect(JSON.parse(JSON.parse(literal as string))).toEqual(spec);
    expect(source.split("\n")).toHaveLength(3);
  });

  it("says why a job failed without Java's stack, and what to do", () => {
    const java =
      "Py4JJavaError: An error occurred while calling o47.load.\n: org.apache.spark.SparkException: [FAILED_READ_FILE.FILE_NOT_EXIST] Encountered error while reading file file:///data/a.csv.\n\tat org.apache.spark.sql.errors.QueryExecutionErrors$.fileNotExistError(QueryExecutionErrors.scala:882)\n\tat scala.collection.Iterator.hasNext";
    const said = explainFailure(java, "failed");
    expect(said).toContain("could not read the asset's file");
    expect(said).toContain("FAILED_READ_FILE");
    expect(said).not.toContain("QueryExecutionErrors");
    expect(explainFailure("BatchScoreError: The asset has no column 'visits'", "failed")).toBe(
      "The asset has no column 'visits'",
    );
    expect(explainFailure("The run took longer than its timeout (60 s)", "timed_out")).toContain(
      "smaller asset",
    );
  });
});
