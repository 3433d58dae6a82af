/**
 * The mention format of comment bodies, shared by the API (who gets notified) and the browser
 * (the `@` autocomplete and rendering), so both read and write the same thing. No imports: the
 * web app bundles this file for the browser (`@flint/api/mentions`).
 *
 * - A member picked from the autocomplete is stored as `<@userId>`: unambiguous even when two
 *   members share a name, and shown with the member's current name.
 * - A typed `@Ada Lovelace`, `@Ada`, `@ada.l` (the part of the email before the @) or the full
 *   email mentions the one project member it names. A full name, handle or email outranks a
 *   first name; a word that names several members mentions nobody (the autocomplete is the way
 *   to pick one of them).
 */

/** A project member as mentions see them. */
export interface TMentionMember {
  id: string;
  name: string;
  email: string;
}

/** A picked mention in the comment box: the text after "@" and the member it stands for. */
export interface TMentionPick {
  label: string;
  userId: string;
}

const TOKEN_SOURCE = "<@([A-Za-z0-9_-]{1,64})>";
/** Letters and digits in any script: what may not follow a mention for it to end there. */
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** The stored form of a mention of `userId`. */
export function mentionToken(userId: string): string {
  return `<@${userId}>`;
}

/** The user ids of the `<@id>` tokens in a body, each once, in order of appearance. */
export function findMentionTokens(body: string): string[] {
  return [...new Set([...body.matchAll(new RegExp(TOKEN_SOURCE, "g"))].map((match) => match[1] ?? ""))];
}

function normalize(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/** The keys a member answers to: strong ones (full name, handle, email) and the first name. */
function keysOf(member: TMentionMember): { strong: string[]; weak: string[] } {
  const name = normalize(member.name);
  const email = member.email.toLowerCase();
  const handle = email.split("@")[0] ?? "";
  const first = name.split(" ")[0] ?? "";
  return { strong: [name, handle, email].filter(Boolean), weak: first && first !== name ? [first] : [] };
}

function addKey(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key) ?? new Set<string>();
  ids.add(id);
  index.set(key, ids);
}

/** True when `text` has `key` at `at` and the mention ends there (no letter or digit follows). */
function hasMentionAt(text: string, at: number, key: string): boolean {
  if (!text.startsWith(key, at)) return false;
  const next = text[at + key.length];
  return next === undefined || !WORD_CHAR.test(next);
}

/**
 * The members a comment body mentions, each once: `<@id>` tokens of members, and typed
 * mentions by name, first name, handle or email that name exactly one member. Only `members`
 * can be mentioned (pass the project's members: a namesake outside the project is no one here).
 */
export function resolveMentions(body: string, members: readonly TMentionMember[]): string[] {
  const memberIds = new Set(members.map((member) => member.id));
  const found = new Set(findMentionTokens(body).filter((id) => memberIds.has(id)));
  const strong = new Map<string, Set<string>>();
  const weak = new Map<string, Set<string>>();
  for (const member of members) {
    const keys = keysOf(member);
    for (const key of keys.strong) addKey(strong, key, member.id);
    for (const key of keys.weak) addKey(weak, key, member.id);
  }
  // Tokens are done: blank them so their "@" is not read as a typed mention.
  const text = body.replace(new RegExp(TOKEN_SOURCE, "g"), (token) => " ".repeat(token.length)).toLowerCase();
  const keys = [...new Set([...strong.keys(), ...weak.keys()])].sort((a, b) => b.length - a.length);
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    const before = text[at - 1];
    // "ann@example.com" in running text is an address, not a mention; "@@x" is not one either.
    if (before !== undefined && (WORD_CHAR.test(before) || before === "@")) continue;
    // The longest key that fits wins ("@ada lovelace" over "@ada"); a strong key over a weak one.
    const key = keys.find((candidate) => hasMentionAt(text, at + 1, candidate));
    if (!key) continue;
    const ids = strong.get(key) ?? weak.get(key);
    if (ids?.size === 1) found.add([...ids][0] ?? "");
  }
  return [...found];
}

/**
 * The label the autocomplete inserts after "@": the member's name, or "Name (email)" when
 * another member has the same name, so that the text in the box says which one was picked.
 */
export function mentionLabel(member: TMentionMember, members: readonly TMentionMember[]): string {
  const name = normalize(member.name);
  const isShared = members.some((other) => other.id !== member.id && normalize(other.name) === name);
  return isShared ? `${member.name.trim()} (${member.email})` : member.name.trim();
}

/**
 * Members whose name (any word of it, or the whole) or email starts with `query`, best first:
 * name matches before email matches, then by name. An empty query lists everyone.
 */
export function matchMembers(query: string, members: readonly TMentionMember[], limit = 8): TMentionMember[] {
  // A trailing space stays: "@Ada " goes on to "Ada Lovelace", and no longer lists a plain "Ada".
  const wanted = query.replace(/\s+/g, " ").toLowerCase().trimStart();
  const rank = (member: TMentionMember): number => {
    if (!wanted) return 0;
    const name = normalize(member.name);
    if (name.startsWith(wanted)) return 0;
    if (name.split(" ").some((word) => word.startsWith(wanted))) return 1;
    if (member.email.toLowerCase().startsWith(wanted)) return 2;
    return -1;
  };
  return members
    .map((member) => ({ member, rank: rank(member) }))
    .filter((entry) => entry.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.member.name.localeCompare(b.member.name))
    .slice(0, limit)
    .map((entry) => entry.member);
}

/**
 * The mention being typed at the caret: the "@" that starts it and what follows, or null when
 * the caret is not in one. The query may hold one space ("@Ada Lo") so full names can be typed.
 */
export function findMentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_.+'-]{0,40}(?: [\p{L}\p{N}_.+'-]{0,40})?)$/u.exec(before);
  if (!match) return null;
  const query = match[1] ?? "";
  return { start: caret - query.length - 1, query };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The body to send: each picked `@label` becomes its `<@id>` token (longest labels first, and
 * only where the label ends, so a pick of "Ada" leaves "@Adam" alone).
 */
export function encodeMentions(text: string, picks: readonly TMentionPick[]): string {
  let result = text;
  for (const pick of [...picks].sort((a, b) => b.label.length - a.label.length)) {
    const pattern = new RegExp(`(^|[^\\p{L}\\p{N}_@])@${escapeRegExp(pick.label)}(?![\\p{L}\\p{N}_])`, "gu");
    result = result.replace(pattern, (_whole, lead: string) => `${lead}${mentionToken(pick.userId)}`);
  }
  return result;
}

/**
 * The editable text of a stored body: tokens of current members become `@label` again, with
 * the picks that turn them back into tokens on save. Tokens of anyone else stay as they are.
 */
export function decodeMentions(
  body: string,
  members: readonly TMentionMember[],
): { text: string; picks: TMentionPick[] } {
  const byId = new Map(members.map((member) => [member.id, member]));
  const picks = new Map<string, TMentionPick>();
  const text = body.replace(new RegExp(TOKEN_SOURCE, "g"), (token, id: string) => {
    const member = byId.get(id);
    if (!member) return token;
    const label = mentionLabel(member, members);
    picks.set(id, { label, userId: id });
    return `@${label}`;
  });
  return { text, picks: [...picks.values()] };
}

/** A body as plain text, tokens shown as `@Name` (for previews such as the notifications list). */
export function mentionsAsText(body: string, names: Readonly<Record<string, string>>): string {
  return body.replace(new RegExp(TOKEN_SOURCE, "g"), (_token, id: string) => `@${names[id] ?? "someone"}`);
}

/** Splits a body into text and `<@id>` tokens, for renderers that style mentions. */
export function splitMentionTokens(body: string): ({ text: string } | { userId: string })[] {
  const parts: ({ text: string } | { userId: string })[] = [];
  let last = 0;
  for (const match of body.matchAll(new RegExp(TOKEN_SOURCE, "g"))) {
    if (match.index > last) parts.push({ text: body.slice(last, match.index) });
    parts.push({ userId: match[1] ?? "" });
    last = match.index + match[0].length;
  }
  if (last < body.length) parts.push({ text: body.slice(last) });
  return parts;
}
