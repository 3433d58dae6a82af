import { describe, expect, it } from "vitest";
import { formatDuration, readExecutionTimes, withExecutionTimes } from "./execution";

describe("run times in cell metadata", () => {
  it("reads JupyterLab's record-timing keys", () => {
    const metadata = {
      tags: ["x"],
      execution: {
        "iopub.execute_input": "2026-03-02T14:02:00.123456Z",
        "iopub.status.busy": "2026-03-02T14:01:59.900Z",
        "iopub.status.idle": "2026-03-02T14:02:02.300Z",
        "shell.execute_reply": "2026-03-02T14:02:02.250Z",
      },
    };
    expect(readExecutionTimes(metadata)).toEqual({
      startedAt: "2026-03-02T14:02:00.123Z",
      endedAt: "2026-03-02T14:02:02.250Z",
    });
  });

  it("falls back to JupyterLab's other keys and ignores what it cannot read", () => {
    expect(
      readExecutionTimes({
        execution: { "iopub.status.busy": "2026-03-02T14:01:59Z", "iopub.status.idle": "2026-03-02T14:02Z" },
      }),
    ).toEqual({ startedAt: "2026-03-02T14:01:59.000Z", endedAt: "2026-03-02T14:02:00.000Z" });
    expect(readExecutionTimes({ execution: { "shell.execute_reply": "2026-03-02T14:02Z" } })).toBeNull();
    expect(readExecutionTimes({ execution: { "iopub.execute_input": "yesterday-ish" } })).toBeNull();
    expect(readExecutionTimes({ execution: ["2026-03-02T14:02Z"] })).toBeNull();
    expect(readExecutionTimes({})).toBeNull();
  });

  it("writes them back under the same keys, and removes them", () => {
    const times = { startedAt: "2026-03-02T14:02:00.000Z", endedAt: "2026-03-02T14:02:02.100Z" };
    const written = withExecutionTimes({ tags: ["x"], execution: { old: 1 } }, times);
    expect(written).toEqual({
      tags: ["x"],
      execution: {
        "iopub.execute_input": "2026-03-02T14:02:00.000Z",
        "shell.execute_reply": "2026-03-02T14:02:02.100Z",
      },
    });
    expect(readExecutionTimes(written)).toEqual(times);
    expect(withExecutionTimes(written, null)).toEqual({ tags: ["x"] });
    expect(withExecutionTimes({}, { startedAt: times.startedAt, endedAt: null })).toEqual({
      execution: { "iopub.execute_input": "2026-03-02T14:02:00.000Z" },
    });
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0.01 s"],
    [4, "0.01 s"],
    [350, "0.35 s"],
    [994, "0.99 s"],
    [996, "1.0 s"],
    [2_100, "2.1 s"],
    [9_940, "9.9 s"],
    [9_960, "10 s"],
    [42_400, "42 s"],
    [185_000, "3 min 05 s"],
    [3_725_000, "1 h 02 min"],
    [-5, "0.01 s"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
