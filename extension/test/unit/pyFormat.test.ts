// Every expected text here is what Python prints for the same value and format.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixed, general, grouped } from "../../src/panel/pyFormat";

const g3 = (x: number) => general(x, 3); // f"{x:.3g}"
const f2 = (x: number) => fixed(x, 2); // f"{x:.2f}"

test("grouped puts a comma between every three digits, as f'{n:,}'", () => {
  assert.deepEqual([0, 999, 1000, 1234567].map(grouped), ["0", "999", "1,000", "1,234,567"]);
});

test("a value exactly halfway rounds to the even digit, as Python does", () => {
  // Exact in binary, so true ties, which toPrecision and toFixed would round up.
  assert.deepEqual([1.125, 18.25].map(g3), ["1.12", "18.2"]);
  assert.deepEqual([0.125, 0.375].map(f2), ["0.12", "0.38"]);
  assert.deepEqual([fixed(2.5, 0), fixed(3.5, 0)], ["2", "4"]);
  // Stored a little above the tie: up.
  assert.deepEqual([1.135, 18.35].map(g3), ["1.14", "18.4"]);
});

test("a value stored just below a tie rounds down, as its binary value says", () => {
  // 1.015 is stored as 1.01499999999999990230037..., 1.005 as 1.00499999999999989...
  assert.deepEqual([g3(1.015), f2(1.005)], ["1.01", "1.00"]);
});

test("general drops trailing zeros and switches to an exponent like '.3g'", () => {
  const values = [1, 18.3, 183, 1.5, 999.95, 1500, 0.000123, 0.0000123];
  const python = ["1", "18.3", "183", "1.5", "1e+03", "1.5e+03", "0.000123", "1.23e-05"];
  assert.deepEqual(values.map(g3), python);
});

test("fixed pads, groups on request, and keeps whole numbers whole", () => {
  assert.deepEqual([0, 12.5, 1234.5].map(f2), ["0.00", "12.50", "1234.50"]);
  assert.equal(fixed(1234.5, 2, true), "1,234.50");
  assert.equal(fixed(0.000053, 6), "0.000053");
  assert.equal(fixed(7, 0), "7");
});
