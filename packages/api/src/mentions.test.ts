import { describe, expect, it } from "vitest";
import {
  decodeMentions,
  encodeMentions,
  findMentionQuery,
  matchMembers,
  mentionLabel,
  mentionsAsText,
  resolveMentions,
  splitMentionTokens,
  type TMentionMember,
} from "./mentions.js";

const ada: TMentionMember = { id: "u_ada", name: "Ada Lovelace", email: "ada.l@example.test" };
const adam: TMentionMember = { id: "u_adam", name: "Adam Smith", email: "asmith@example.test" };
const sam1: TMentionMember = { id: "u_sam1", name: "Sam Lee", email: "sam.lee@example.test" };
const sam2: TMentionMember = { id: "u_sam2", name: "Sam Lee", email: "slee@other.test" };
const grace: TMentionMember = { id: "u_grace", name: "Grace", email: "grace@example.test" };
const members = [ada, adam, sam1, sam2, grace];

describe("resolveMentions", () => {
  it("finds members by first name, full name, handle and email", () => {
    expect(resolveMentions("thanks @Ada!", members)).toEqual(["u_ada"]);
    expect(resolveMentions("@ada lovelace, see this", members)).toEqual(["u_ada"]);
    expect(resolveMentions("cc @ada.l.", members)).toEqual(["u_ada"]);
    expect(resolveMentions("ask @asmith@example.test", members)).toEqual(["u_adam"]);
    expect(resolveMentions("@Grace and @Adam", members).sort()).toEqual(["u_adam", "u_grace"]);
  });

  it("mentions nobody for a name several members share, or for a prefix of a name", () => {
    expect(resolveMentions("@Sam what do you think?", members)).toEqual([]);
    expect(resolveMentions("@Sam Lee?", members)).toEqual([]);
    expect(resolveMentions("@Ad", members)).toEqual([]);
    expect(resolveMentions("@Adamant", members)).toEqual([]);
  });

  it("takes tokens of members only, and never reads an address in running text as a mention", () => {
    expect(resolveMentions("<@u_sam2> and <@u_outsider>", members)).toEqual(["u_sam2"]);
    expect(resolveMentions("write to grace@example.test", members)).toEqual([]);
    // A namesake who is not passed in (not a member) is nobody.
    expect(resolveMentions("@Ada", [adam])).toEqual([]);
  });
});

describe("the comment box's helpers", () => {
  it("finds the mention being typed at the caret", () => {
    expect(findMentionQuery("hi @Ad", 6)).toEqual({ start: 3, query: "Ad" });
    expect(findMentionQuery("@", 1)).toEqual({ start: 0, query: "" });
    expect(findMentionQuery("hi @Ada Lo", 10)).toEqual({ start: 3, query: "Ada Lo" });
    expect(findMentionQuery("mail ann@example", 16)).toBeNull();
    expect(findMentionQuery("@Ada is here now", 16)).toBeNull();
  });

  it("lists members by any word of their name or by email, names first", () => {
    expect(matchMembers("ad", members).map((member) => member.id)).toEqual(["u_ada", "u_adam"]);
    expect(matchMembers("lee", members).map((member) => member.id)).toEqual(["u_sam1", "u_sam2"]);
    expect(matchMembers("slee", members).map((member) => member.id)).toEqual(["u_sam2"]);
    expect(matchMembers("grace ", members)).toEqual([]);
    expect(matchMembers("", members)).toHaveLength(5);
  });

  it("labels a member by name, with the email when another member has the same name", () => {
    expect(mentionLabel(ada, members)).toBe("Ada Lovelace");
    expect(mentionLabel(sam2, members)).toBe("Sam Lee (slee@other.test)");
  });

  it("turns picks into tokens and back", () => {
    const picks = [
      { label: "Ada Lovelace", userId: "u_ada" },
      { label: "Sam Lee (slee@other.test)", userId: "u_sam2" },
    ];
    const body = encodeMentions("@Ada Lovelace and @Sam Lee (slee@other.test): @Ada Lovelaces", picks);
    expect(body).toBe("<@u_ada> and <@u_sam2>: @Ada Lovelaces");
    expect(decodeMentions(`${body} <@u_gone>`, members)).toEqual({
      text: "@Ada Lovelace and @Sam Lee (slee@other.test): @Ada Lovelaces <@u_gone>",
      picks,
    });
  });

  it("shows tokens as names", () => {
    expect(mentionsAsText("<@u_ada>, <@u_x>?", { u_ada: "Ada Lovelace" })).toBe("@Ada Lovelace, @someone?");
    expect(splitMentionTokens("hi <@u_ada>!")).toEqual([{ text: "hi " }, { userId: "u_ada" }, { text: "!" }]);
  });
});
