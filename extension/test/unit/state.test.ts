import assert from "node:assert/strict";
import { test } from "node:test";
import {
  initialQuery,
  nextPage,
  pageLabel,
  PAGE_SIZE,
  previousPage,
  restoredQuery,
  toggleSort,
  withFilter,
} from "../../src/panel/state";

test("a column header cycles ascending, descending, unsorted", () => {
  const start = { ...initialQuery(), offset: 100 };
  const ascending = toggleSort(start, "length");
  assert.deepEqual(
    [ascending.sortBy, ascending.descending, ascending.offset],
    ["length", false, 0],
  );
  const descending = toggleSort(ascending, "length");
  assert.deepEqual([descending.sortBy, descending.descending], ["length", true]);
  const cleared = toggleSort(descending, "length");
  assert.deepEqual([cleared.sortBy, cleared.descending], [null, false]);
  assert.equal(toggleSort(descending, "other").sortBy, "other");
});

test("a new filter goes back to the first page", () => {
  const query = withFilter({ ...initialQuery(), offset: 50 }, "failing");
  assert.deepEqual([query.filter, query.offset], ["failing", 0]);
});

test("paging stays within the rows", () => {
  const first = initialQuery();
  const second = nextPage(first, 120);
  assert.equal(second.offset, PAGE_SIZE);
  const third = nextPage(second, 120);
  assert.equal(third.offset, 2 * PAGE_SIZE);
  assert.equal(nextPage(third, 120), third);
  assert.equal(previousPage(first).offset, 0);
  assert.equal(pageLabel(third, 120, 20), "101–120 of 120");
  assert.equal(pageLabel(first, 0, 0), "No rows");
});

test("a reloaded panel gets back its saved query, and defaults for anything off", () => {
  const saved = { filter: "failing", offset: 50, limit: 50, sortBy: "length", descending: true };
  assert.deepEqual(restoredQuery({ query: saved }), saved);
  assert.deepEqual(restoredQuery(undefined), initialQuery());
  assert.deepEqual(
    restoredQuery({ query: { filter: "bogus", offset: -3, limit: "x", sortBy: 5, descending: 1 } }),
    initialQuery(),
  );
});
