// The inspector's message box syntax (protocol/termSyntax.ts). Issue 13 item 13: a pid could not be
// sent from the message box, because the box took JSON and "<0.1.0>" arrived as a string. Pids and
// refs are written bare; a mistake gets an error that says where (column) and what.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTerm, parseRef, TermSyntaxError } from "../protocol/termSyntax.js";

test("issue 13 item 13: a bare pid and a bare ref become the wire's $pid and $ref objects", () => {
  assert.deepEqual(parseTerm("<0.1.0>"), { $pid: "<0.1.0>" });
  assert.deepEqual(parseTerm("[reply_to, <0.84.0>, #Ref<0.0.0.7>]"), ["reply_to", { $pid: "<0.84.0>" }, { $ref: "#Ref<0.0.0.7>" }]);
  assert.deepEqual(parseRef("#Ref<0.1.2.3>"), { scheduler: 1, id: 2 * 0x100000000 + 3 });
  assert.equal(parseRef("#Ref<0.1.2>"), undefined);
});

test("JSON stays valid: strings, numbers, true, false, null, lists and objects", () => {
  for (const json of ['"ping"', "42", "-1.5e3", "true", "false", "null", '["job", 1, {"a": [null]}]', '{"$pid": "<0.5.0>"}', '"tab\\tand \\u00e9"', "[]", "{}"]) {
    assert.deepEqual(parseTerm(json), JSON.parse(json), json);
  }
});

test("atoms are sent as strings; object keys may be bare; a trailing comma is fine", () => {
  assert.equal(parseTerm("ping"), "ping");
  assert.deepEqual(parseTerm("{ op: add, args: [1, 2,], }"), { op: "add", args: [1, 2] });
  assert.deepEqual(parseTerm("[\n  hello,\n  world\n]"), ["hello", "world"]);
});

test("a __proto__ key stays an own key", () => {
  const value = parseTerm('{"__proto__": {"admin": true}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.equal(JSON.stringify(value), '{"__proto__":{"admin":true}}');
});

/** The error a text gets, as "column N: reason" (or "line L, column N: reason"). */
function errorOf(text: string): string {
  try {
    parseTerm(text);
  } catch (error) {
    assert.ok(error instanceof TermSyntaxError, String(error));
    return error.message;
  }
  assert.fail(`${text} parsed`);
}

test("issue 13 item 13: parse errors say the column and what was expected", () => {
  assert.equal(errorOf('["hello", '), 'column 11: expected a term, found the end of the message');
  assert.equal(errorOf("[1 2]"), 'column 4: expected "," or "]" after a list element, found "2"');
  assert.equal(errorOf("<0.1>"), "column 1: a pid is written <0.N.0>, like <0.84.0>");
  assert.equal(errorOf("[a, #Ref<1>]"), "column 5: a ref is written #Ref<0.S.H.L>, as the inspector shows one, like #Ref<0.0.0.7>");
  assert.equal(errorOf('{a: 1, "a": 2}'), 'column 8: the key "a" appears twice in this object');
  assert.equal(errorOf("{a 1}"), 'column 4: expected ":" after the key "a", found "1"');
  assert.equal(errorOf('"open'), "column 1: this string is not closed: it needs a closing double quote");
  assert.equal(errorOf('"a\\qb"'), 'column 3: "\\\\q" is not an escape in a string (use \\" \\\\ \\n \\t or \\uXXXX)');
  assert.equal(errorOf("12ab"), 'column 3: a number cannot go on with "a"');
  assert.equal(errorOf("ping pong"), 'column 6: "p" after the end of the term (send one term; wrap several in [ ])');
  assert.equal(errorOf("'x'"), "column 1: single quotes: write a string in double quotes, or an atom bare (ping)");
  assert.equal(errorOf("  "), "column 3: an empty message: write a term, like ping, \"text\", 42, [add, 1, 2] or <0.84.0>");
  assert.equal(errorOf("[\n  1,\n  }\n]"), 'line 3, column 3: expected a term, found "}"');
});

test("nesting deeper than the runtime's limit is refused with an error, not a stack overflow", () => {
  assert.match(errorOf("[".repeat(5000)), /^column 1001: lists and objects nest more than 1000 levels deep$/);
  assert.equal((parseTerm("[".repeat(1000) + "]".repeat(1000)) as unknown[]).length, 1);
});
