import { describe, expect, it } from "vitest";
import { MASKED_TOKEN, maskNotebookTokens } from "./mask-secrets";

const TOKEN = "flint_nbk_Zx8kQ2-vN_4pL0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345";

describe("maskNotebookTokens", () => {
  it("masks a token in stream text, rich data and nested metadata", () => {
    const content = {
      name: "stdout",
      text: `environ({'FLINT_API_TOKEN': '${TOKEN}', 'HOME': '/tmp'})\n`,
      data: { "text/plain": [`token=${TOKEN}`], "application/json": { deep: { token: TOKEN } } },
    };
    const masked = maskNotebookTokens(content);
    expect(JSON.stringify(masked)).not.toContain(TOKEN);
    expect(masked.text).toContain(MASKED_TOKEN);
    expect(masked.text).toContain("'HOME': '/tmp'");
    expect(masked.data["application/json"].deep.token).toBe(MASKED_TOKEN);
    // The input is not changed.
    expect(content.text).toContain(TOKEN);
  });

  it("returns output without a token as it is", () => {
    const content = { name: "stdout", text: "flint_nbk_ is the prefix\n", list: [1, "a"] };
    expect(maskNotebookTokens(content)).toBe(content);
  });
});
