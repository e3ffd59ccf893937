"""Loading eval data files, and the errors that point at the bad record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorelens.datasets import DatasetError, load_dataset

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "datasets"


def test_fixture_datasets_load() -> None:
    seed = load_dataset(FIXTURES / "seed.json")
    assert len(seed) == 3 and seed[2]["inputs"]["messages"][-1]["content"] == "Website"
    support = load_dataset(FIXTURES / "support.jsonl")
    assert len(support) >= 50
    assert sum(len(r["inputs"]["messages"]) > 1 for r in support) >= 5
    assert all("expected_facts" in r["expectations"] for r in support)
    # Conversations for the trace view: a system prompt, then turns, the user's last.
    multi_turn = load_dataset(FIXTURES / "multi_turn.jsonl")
    assert 3 <= len(multi_turn) <= 5
    for row in multi_turn:
        roles = [m["role"] for m in row["inputs"]["messages"]]
        assert roles[0] == "system" and roles[-1] == "user" and roles.count("user") >= 2


def test_csv_with_json_columns_and_dotted_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "inputs,expectations.expected_response\n"
        '"{""question"": ""hours?""}",9 to 8\n'
        '"{""question"": ""ship?""}",\n'
    )
    assert load_dataset(path) == [
        {"inputs": {"question": "hours?"}, "expectations": {"expected_response": "9 to 8"}},
        {"inputs": {"question": "ship?"}},
    ]
    dotted = tmp_path / "dotted.csv"
    dotted.write_text("inputs.question,inputs.lang\nhi,en\n")
    assert load_dataset(dotted) == [{"inputs": {"question": "hi", "lang": "en"}}]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "a.json",
            '[{"inputs": {}}, {"inputs": "text"}]',
            "a.json: row 2: 'inputs' must be an object",
        ),
        ("b.json", '{"inputs": {}}', "b.json: expected a JSON list of records, got dict"),
        ("c.json", '[{"inputs": {}},\n  {"inputs": ]', "c.json: line 2: invalid JSON"),
        ("d.jsonl", '{"inputs": {}}\n\n{"inputs": {}\n', "d.jsonl: line 3: invalid JSON"),
        ("e.jsonl", '{"input": {"q": 1}}\n', "e.jsonl: line 1: unknown key 'input'"),
        ("f.jsonl", '{"expectations": {}}\n', "f.jsonl: line 1: missing 'inputs'"),
        (
            "g.jsonl",
            '{"inputs": {}, "expectations": [1]}\n',
            "g.jsonl: line 1: 'expectations' must be",
        ),
        ("h.csv", "question\nhi\n", "h.csv: needs an 'inputs' column"),
        ("i.csv", 'inputs\n{"a": 1}\n{oops\n', "i.csv: row 3: column 'inputs' is not valid JSON"),
        ("j.yaml", "inputs: {}", "unsupported dataset type .yaml"),
        ("k.json", "[]", "k.json: the dataset has no records"),
    ],
)
def test_malformed_files_name_the_file_and_row(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert message in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset(tmp_path / "nope.json")


def test_json_round_trip_of_fixture_rows_is_plain_data() -> None:
    rows = load_dataset(FIXTURES / "support.jsonl")
    assert json.loads(json.dumps(rows)) == rows
