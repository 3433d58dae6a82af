import { describe, expect, it } from "vitest";
import { usesSpark } from "./spark-connect";

describe("usesSpark", () => {
  it("finds the notebook's Spark in a cell's text", () => {
    expect(usesSpark("df = spark.range(10)")).toBe(true);
    expect(usesSpark("x = 1\nspark.sql('select 1').show()")).toBe(true);
    expect(usesSpark("%%sql\nSELECT 1")).toBe(true);
    expect(usesSpark("  %%sql\nSELECT 1")).toBe(true);
    expect(usesSpark('from flint import catalog\n\ndf = catalog.load("sales")')).toBe(true);
  });

  it("does not take a pandas cell or a longer name for Spark", () => {
    expect(usesSpark("import pandas as pd\npd.DataFrame({'a': [1]})")).toBe(false);
    expect(usesSpark("sparkles = 3\nmy_spark_thing = 1")).toBe(false);
    expect(usesSpark('pdf = catalog.load_pandas("sales")')).toBe(false);
    expect(usesSpark("print('%%sql is a magic')")).toBe(false);
  });
});
