"""A filter_string or order_by that MLflow refuses is refused here too, naming what is wrong.

Every input below makes MLflow 3.17.2's search_traces raise (MlflowException; checked by running
it); the messages are ScoreLens's own: each names the offending token and where it is, or the
valid choices, so that they can be acted on. Grammar: mlflow/utils/search_utils.py
(SearchTraceUtils) and https://mlflow.org/docs/latest/genai/tracing/search-traces.

Some inputs MLflow lets through are refused here on purpose, being mistakes that MLflow
silently turns into a different question: a trailing AND; two comparisons without AND; a list
missing a comma, ('OK' 'ERROR'), which MLflow reads as 'OKERROR'; a timestamp compared with a
word; an RLIKE pattern that is no regular expression (MLflow matches nothing); and `=` on a span
attribute (documented for LIKE/ILIKE only; MLflow's `=` matches nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scorelens as mlflow


@pytest.fixture
def one_trace(store_dir: Path) -> None:
    @mlflow.trace
    def traced_func(x: int) -> int:
        return x + 1

    traced_func(1)


BAD_FILTERS = [
    # Only AND joins comparisons.
    ("trace.status = 'OK' OR tags.env = 'x'", r"unexpected 'OR' at position 20; OR is not"),
    ("trace.status = 'OK' trace.name = 'x'", r"unexpected 'trace\.name' at position 20; join"),
    ("trace.status = 'OK' AND", r"'AND' at position 20 is not followed by a comparison"),
    ("(trace.status = 'OK')", r"unexpected '\(' at position 0; parentheses are not supported"),
    ("trace.status = 'OK';", r"unexpected ';' at position 19"),
    # Incomplete comparisons.
    ("trace.status", r"'trace\.status' at position 0 is not followed by a comparison"),
    ("trace.status =", r"'=' at position 13 is not followed by a value"),
    ("= 'OK'", r"unexpected '=' at position 0; expected an identifier"),
    ("trace.status IS 'OK'", r"'IS' at position 13 must be followed by NULL or NOT NULL"),
    ("tags.env NOT 'x'", r"'NOT' at position 9 must be followed by IN"),
    # Values: strings are quoted; lists are of quoted strings, in parentheses.
    ("trace.status = OK", r"expected a value after '=' but found 'OK' at position 15"),
    ("tags.env = production", r"found 'production' at position 11"),
    ("feedback.correct = true", r"found 'true' at position 19"),
    ("trace.status = 5", r"trace\.status needs a quoted string value .* not 5 at position 15"),
    ("metadata.user_id = 5", r"metadata\.user_id needs a quoted string value"),
    ("feedback.score = 3", r"feedback\.score needs a quoted string value"),
    ("feedback.score > '0.5'", r"feedback\.score > needs a number, not '0\.5' at position 17"),
    ("trace.status IN 'OK'", r"'IN' at position 13 must be followed by a parenthesised list"),
    ("trace.status IN ('OK'", r"the list at position 16 is not closed"),
    ("trace.status IN ()", r"unexpected '\)' at position 17 in the list"),
    ("trace.status IN ('OK' 'ERROR')", r"unexpected \"'ERROR'\" at position 22 in the list"),
    ("trace.status IN (1, 2)", r"must hold quoted strings, not '1' \(position 17\)"),
    ("trace.timestamp_ms > 'yesterday'", r"trace\.timestamp_ms needs a number, not 'yesterday'"),
    ("trace.name RLIKE '('", r"'\(' at position 17 is not a valid regular expression"),
    ("prompt = 'no-version'", r"prompt value 'no-version' at position 9 must be \"name/version\""),
    # Names: entities, attribute keys and span fields.
    ("nope.status = 'OK'", r"invalid entity type 'nope' in 'nope\.status' at position 0"),
    ("trace.nope = 'x'", r"invalid attribute key 'nope' in 'trace\.nope' at position 0"),
    ("span.foo = 'x'", r"invalid span attribute 'foo' in span\.foo"),
    ("span.attributes. LIKE '%x%'", r"unexpected '\.' at position 15"),
    ("issue.title = 'x'", r"invalid issue attribute 'title' in issue\.title at position 0"),
    ("issue.id != 'x'", r"invalid comparator '!=' for issue\.id"),
    # Comparators each kind of field takes.
    ("trace.status > 'A'", r"invalid comparator '>' for the attribute 'status' \(at position 15\)"),
    ("trace.status == 'OK'", r"invalid comparator '==' for the attribute 'status'"),
    ("trace.name IN ('a', 'b')", r"invalid comparator 'IN' for tags"),
    ("trace.run_id IN ('a')", r"invalid comparator 'IN' for metadata"),
    ("tags.env > 'a'", r"invalid comparator '>' for tags"),
    ("trace.execution_time_ms LIKE '5%'", r"invalid comparator 'LIKE' for the numeric attribute"),
    ("feedback.rating IN ('a')", r"invalid comparator 'IN' for feedback values"),
    ("trace.text = 'x'", r"invalid comparator '=' for span content \(trace\.text\)"),
    ("trace.status IS NULL", r"invalid comparator 'IS NULL' for the attribute 'status'"),
    ("span.attributes.model = 'x'", r"invalid comparator '=' for span attributes"),
    # Characters outside the grammar.
    ("trace.status = 'OK' & tags.x = 'y'", r"unexpected '&' at position 20"),
    ("   ", r"it has no comparison"),
]


@pytest.mark.parametrize(("filter_string", "message"), BAD_FILTERS)
def test_a_malformed_filter_names_the_bad_token(
    one_trace: None, filter_string: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        mlflow.search_traces(filter_string=filter_string)
    assert repr(filter_string) in str(raised.value)


BAD_ORDER_BY = [
    (["status UP"], r"Invalid ordering key in order_by clause 'status UP': 'UP' at position 7"),
    (["status ASC DESC"], r"unexpected 'DESC' at position 11"),
    ([""], r"Invalid order_by clause ''\. Could not be parsed\."),
    (["nope"], r"invalid attribute key 'nope'"),
    (["client_request_id"], r"invalid attribute key 'client_request_id'"),
    (["feedback.score"], r"cannot order by 'feedback\.score'"),
    (["status ASC", "status DESC"], r"`order_by` contains duplicate fields"),
    (["timestamp", "timestamp_ms DESC"], r"`order_by` contains duplicate fields"),
]


@pytest.mark.parametrize(("order_by", "message"), BAD_ORDER_BY)
def test_a_malformed_order_by_says_what_is_wrong(
    one_trace: None, order_by: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        mlflow.search_traces(order_by=order_by)


def test_order_by_must_be_a_list(one_trace: None) -> None:
    with pytest.raises(ValueError, match=r"did you mean order_by=\['timestamp_ms ASC'\]"):
        mlflow.search_traces(order_by="timestamp_ms ASC")  # type: ignore[call-overload]
