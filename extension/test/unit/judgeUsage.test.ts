import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatDollars, formatTokens, judgeText } from "../../src/panel/judgeUsage";

const repo = join(__dirname, "..", "..", "..", "..");
const repoPython = join(repo, ".venv", "bin", "python");

test("token counts read as the lens writes them", () => {
  const texts = [5, 999, 1000, 18300, 183000, 1830000].map(formatTokens);
  assert.deepEqual(texts, ["5", "999", "1k", "18.3k", "183k", "1.83M"]);
});

test("dollars: cents, or two significant digits below a cent", () => {
  const texts = [0, 0.0004, 0.000053, 0.04, 12.5, 1234.5].map(formatDollars);
  assert.deepEqual(texts, ["$0.00", "$0.0004", "$0.000053", "$0.04", "$12.50", "$1,234.50"]);
});

test("judge usage: calls, new calls, tokens, and the cost only when it is known", () => {
  const usage = { calls: 3, newCalls: 0, tokens: 154, costUsd: 0.000053 };
  assert.equal(judgeText(usage), "3 judge calls (0 new) · 154 tokens · $0.000053");
  assert.equal(
    judgeText({ calls: 1000, newCalls: 12, tokens: 183000, costUsd: 0.04 }),
    "1,000 judge calls (12 new) · 183k tokens · $0.04",
  );
  assert.equal(
    judgeText({ calls: 1, newCalls: 1, tokens: 18300, costUsd: null }),
    "1 judge call (1 new) · 18.3k tokens",
  );
});

// The server's own functions on many values: the header must read exactly as the lens.
test("the same figures as the server's lens, value for value", () => {
  assert.ok(existsSync(repoPython), `${repoPython} is missing: run scripts/setup-python.sh dev`);
  const tokens: number[] = [0, 5, 999, 1000, 1005, 1015, 1125, 18250, 999_499, 999_950, 1e6];
  const dollars: number[] = [0, 0.01, 0.125, 0.375, 0.0004, 0.000053, 0.00999999, 0.005, 1234.5];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i += 1) {
    tokens.push(Math.floor(next() ** 3 * 5e7));
    dollars.push(Number((next() ** 4 * 50).toPrecision(1 + (i % 6))));
  }
  // Where the unit changes, and past a billion.
  tokens.push(999, 1_000, 999_499, 999_500, 999_999, 999_499_999, 999_500_000, 2_000_000_000);
  const usages = tokens.map((t, i) => ({
    calls: i,
    newCalls: Math.floor(i / 3),
    tokens: t,
    costUsd: i % 5 === 0 ? null : dollars[i % dollars.length],
  }));
  const script = [
    "import json, sys",
    "from scorelens.judging.usage import format_cost as format_dollars, format_tokens",
    "from scorelens.lsp.lenses import judge_text",
    "given = json.load(sys.stdin)",
    "print(json.dumps({",
    "  'tokens': [format_tokens(t) for t in given['tokens']],",
    "  'dollars': [format_dollars(d) for d in given['dollars']],",
    "  'usages': [judge_text(u) for u in given['usages']],",
    "}))",
  ].join("\n");
  const server = JSON.parse(
    execFileSync(repoPython, ["-c", script], {
      input: JSON.stringify({ tokens, dollars, usages }),
    }).toString(),
  ) as { tokens: string[]; dollars: string[]; usages: string[] };
  assert.deepEqual(tokens.map(formatTokens), server.tokens);
  assert.deepEqual(dollars.map(formatDollars), server.dollars);
  assert.deepEqual(usages.map(judgeText), server.usages);
});
