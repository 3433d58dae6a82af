import { describe, expect, it } from "vitest";
import { buildJupyterEnv, describeSparkMaster, describeUrl } from "./supervisor";

describe("buildJupyterEnv", () => {
  it("passes the allow-list and extras, never Flint's secrets", () => {
    const env = buildJupyterEnv(
      {
        PATH: "/usr/bin",
        JAVA_HOME: "/opt/java",
        SPARK_MASTER: "spark://m:7077",
        FLINT_SPARK_CONF: "{}",
        DATABASE_URL: "postgres://flint:secret@localhost/flint",
        BETTER_AUTH_SECRET: "s",
        JUPYTER_TOKEN: "t",
        FLINT_SESSION_SECRET: "x",
      },
      { SPARK_MASTER: "local[2]" },
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      JAVA_HOME: "/opt/java",
      SPARK_MASTER: "local[2]",
      FLINT_SPARK_CONF: "{}",
    });
  });
});

describe("describeSparkMaster / describeUrl", () => {
  it("never shows credentials", () => {
    expect(describeSparkMaster({})).toBe("local[*]");
    expect(describeSparkMaster({ SPARK_MASTER: "spark://host:7077" })).toBe("spark://host:7077");
    expect(describeSparkMaster({ SPARK_REMOTE: "sc://host:15002/;token=abc;user_id=u" })).toBe(
      "sc://host:15002/",
    );
    expect(describeSparkMaster({ SPARK_MASTER: "k8s://https://user:pw@api:6443" })).toBe(
      "k8s://https://api:6443",
    );
    expect(describeUrl("https://user:pw@gw.example:8888/base/?token=abc")).toBe(
      "https://gw.example:8888/base/",
    );
  });
});
