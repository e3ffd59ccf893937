"""`scorelens labels list | export | import`: human labels of scorer verdicts, as data.

`export` writes the labelled traces as an eval dataset, one record per trace:
`{"trace_id", "inputs", "outputs", "expectations": {<scorer>: <label>}, "label": {"user", "note",
"unsure"}}`, which `load_dataset` and `evaluate(data=...)` read. `import` reads such a file back
(or any records of `trace_id` and `expectations`), checking every record and trace before it
writes a label.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from typing import Any

import scorelens
from scorelens.cli.errors import CliError
from scorelens.cli.tables import format_value, render
from scorelens.datasets import read_records
from scorelens.entities import Trace
from scorelens.entities.trace import dumps_json
from scorelens.genai.agreement import Agreement
from scorelens.genai.labels import (
    Label,
    UnknownTraceError,
    check_label,
    default_user,
    labels_of,
    search_labels,
    set_labels,
)
from scorelens.text_preview import preview

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("trace_id", "inputs", "outputs", "expectations", "label")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `labels` command and its subcommands, on the main parser's subparsers."""
    labels = commands.add_parser("labels", help="human labels of what a scorer should say")
    actions = labels.add_subparsers(dest="labels_command", required=True)

    listing = actions.add_parser("list", help="the current label of each trace and scorer")
    listing.add_argument("--scorer", help="only this scorer's labels")
    listing.add_argument("--run", help="only the traces of this run")
    listing.set_defaults(handler=cmd_list)

    export = actions.add_parser("export", help="write a scorer's labelled traces as eval data")
    export.add_argument("--scorer", required=True, help="whose labels (the scorer's name)")
    export.add_argument("--run", help="only the traces of this run (default: the experiment's)")
    # Checked by the command, not by argparse: a bad value is then one line, as every error.
    export.add_argument("--format", help="jsonl or csv (default: --output's suffix, else jsonl)")
    export.add_argument("--output", help="the file to write (default: stdout)")
    export.set_defaults(handler=cmd_export)

    load = actions.add_parser("import", help="write the labels of a file `export` made")
    load.add_argument("file", help="JSONL, JSON or CSV records of trace_id and expectations")
    load.add_argument("--user", help="label as this user (default: each record's, else you)")
    load.set_defaults(handler=cmd_import)


def cmd_list(args: argparse.Namespace) -> None:
    found = search_labels(run_id=args.run, scorer=args.scorer)
    if not found:
        if args.scorer is not None:
            raise CliError(_no_labels(args.scorer, args.run))
        print("No labels.")
        return
    rows = [
        [trace_id, label.scorer, label_text(label.value), label.source_id, label.note or "-"]
        for trace_id, by_scorer in found.items()
        for label in by_scorer.values()
    ]
    print(render(["trace", "scorer", "label", "user", "note"], rows))


def label_text(value: Any) -> str:
    """`pass`, `fail`, `unsure`, or the value."""
    if value is True:
        return "pass"
    if value is False:
        return "fail"
    if value is None:
        return "unsure"
    return preview(value, 40) if isinstance(value, str) else format_value(value)


def agreement_cell(found: Agreement | None) -> str:
    """`18/20`, with the precision and recall of "fail" for pass/fail labels: `18/20 (P 0.90
    R 0.82)`; `-` without labels."""
    if found is None:
        return "-"
    text = f"{found.agree}/{found.total}"
    precision, recall = found.fail_precision, found.fail_recall
    if precision is None and recall is None:
        return text
    return f"{text} (P {_share(precision)} R {_share(recall)})"


def _share(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:.2f}"


def cmd_export(args: argparse.Namespace) -> None:
    form = _format(args.format, args.output)
    traces = scorelens.search_traces(run_id=args.run, return_type="list")
    labels = labels_of({t.info.trace_id: t.info.assessments for t in traces})
    records = [
        export_record(trace, labels[trace.info.trace_id][args.scorer])
        for trace in traces
        if args.scorer in labels.get(trace.info.trace_id, {})
    ]
    if not records:
        raise CliError(_no_labels(args.scorer, args.run))
    text = _jsonl(records) if form == "jsonl" else _csv(records)
    if args.output is None:
        sys.stdout.write(text)
        return
    with open(args.output, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    print(f"Exported {len(records)} labels of {args.scorer} to {args.output}")


def export_record(trace: Trace, label: Label) -> dict[str, Any]:
    return {
        "trace_id": trace.info.trace_id,
        "inputs": trace.inputs,
        "outputs": trace.outputs,
        "expectations": {label.scorer: label.value},
        "label": {"user": label.source_id, "note": label.note, "unsure": label.unsure},
    }


def cmd_import(args: argparse.Namespace) -> None:
    path = os.fspath(args.file)
    located: list[tuple[str, Label]] = []
    for where, record in read_records(path, csv_column="trace_id"):
        located.extend((where, label) for label in _labels_of_record(path, where, record, args))
    try:
        written = set_labels(label for _, label in located)
    except UnknownTraceError as exc:
        where = next(w for w, label in located if label.trace_id == exc.trace_id)
        raise CliError(f"{path}: {where}: {exc}") from None
    traces = len({label.trace_id for label in written})
    print(f"Imported {len(written)} labels on {traces} traces from {path}")


def _labels_of_record(path: str, where: str, record: Any, args: argparse.Namespace) -> list[Label]:
    def bad(message: str) -> CliError:
        return CliError(f"{path}: {where}: {message}")

    if not isinstance(record, dict):
        raise bad(f"expected an object, got {type(record).__name__}")
    trace_id = record.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        raise bad("needs a 'trace_id'")
    expectations = record.get("expectations")
    if not isinstance(expectations, dict) or not expectations:
        raise bad("needs 'expectations', an object of scorer name to label")
    about = record.get("label") or {}
    if not isinstance(about, dict):
        raise bad(f"'label' must be an object, got {type(about).__name__}")
    user = args.user or about.get("user") or default_user()
    unsure = about.get("unsure") is True
    made: list[Label] = []
    for scorer, value in expectations.items():
        label = Label(trace_id, scorer, None if unsure else value, about.get("note"), user, 0, None)
        try:
            check_label(label)
        except ValueError as exc:
            raise bad(str(exc)) from None
        made.append(label)
    return made


def _format(given: str | None, output: str | None) -> str:
    if given is None:
        suffix = os.path.splitext(output or "")[1].lower().lstrip(".")
        return suffix if suffix in FORMATS else "jsonl"
    if given not in FORMATS:
        raise CliError(f"unknown format {given!r}; use jsonl or csv")
    return given


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(dumps_json(record) + "\n" for record in records)


def _csv(records: list[dict[str, Any]]) -> str:
    """Nested values as JSON text; `outputs` as text when it is text (empty when None), as
    load_dataset reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        outputs = record["outputs"]
        writer.writerow(
            [
                record["trace_id"],
                dumps_json(record["inputs"]),
                ""
                if outputs is None
                else outputs
                if isinstance(outputs, str)
                else dumps_json(outputs),
                dumps_json(record["expectations"]),
                dumps_json(record["label"]),
            ]
        )
    return buffer.getvalue()


def _no_labels(scorer: str, run_id: str | None) -> str:
    return f"no labels for scorer {scorer}" + ("" if run_id is None else f" in run {run_id}")
