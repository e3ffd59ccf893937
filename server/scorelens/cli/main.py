"""`scorelens generate | score | runs | traces | labels | doctor | cache`: the library's workflow
from a shell.

Every failure the user can fix ends as one line `scorelens: error: ...` and exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import scorelens
from scorelens import tracking
from scorelens.cli.errors import CliError
from scorelens.cli.judge_usage import HEADERS as JUDGE_USAGE_HEADERS
from scorelens.cli.judge_usage import judge_usage_rows
from scorelens.cli.labels import add_commands as add_label_commands
from scorelens.cli.labels import agreement_cell
from scorelens.cli.mlflow_sync import add_commands as add_mlflow_commands
from scorelens.cli.progress import ProgressBar
from scorelens.cli.tables import format_value, render
from scorelens.datasets import DatasetError, load_dataset
from scorelens.genai.agreement import AGREEMENT_METRICS
from scorelens.genai.eval_data import EvalDataError
from scorelens.genai.evaluation import generate_traces, rescore_on_ray, run_evaluation
from scorelens.genai.scorer_runs import Verdict
from scorelens.genai.verdicts import pass_count, pass_fail
from scorelens.judging import JudgeCache, PriceTable
from scorelens.search import stored_selection
from scorelens.store import StoreError, TraceStore
from scorelens.text_preview import preview
from scorelens.user_modules import UserCodeError, load_app, load_scorers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorelens", description="Record LLM app traces once; re-score them instantly."
    )
    parser.add_argument("--version", action="version", version=scorelens.__version__)
    parser.add_argument(
        "--tracking-uri", help="store folder (default: $SCORELENS_TRACKING_URI or ./.scorelens)"
    )
    parser.add_argument("--experiment", help="experiment name (default: Default)")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="run an app over a dataset, recording traces")
    generate.add_argument("--dataset", required=True, help="JSON, JSONL or CSV eval data")
    generate.add_argument("--app", required=True, help="module:function or file.py:function")
    generate.set_defaults(handler=cmd_generate)

    score = commands.add_parser("score", help="re-score stored traces with every @scorer in a file")
    score.add_argument("scorers", help="a Python file defining @scorer functions")
    score.add_argument(
        "--run", help="run id whose traces to score (default: the latest run with traces)"
    )
    score.add_argument("--all", action="store_true", help="score every trace of the experiment")
    score.add_argument("--rows", action="store_true", help="also print one row per trace")
    score.add_argument(
        "--workers",
        type=int,
        help="traces each scorer scores at once (default: $SCORELENS_MAX_WORKERS or 10)",
    )
    score.add_argument(
        "--no-judge-cache",
        dest="judge_cache",
        action="store_false",
        default=None,
        help="send every model call a scorer makes, even one answered before",
    )
    score.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help='where the scorers run: this process, or Ray tasks (pip install "scorelens[ray]")',
    )
    score.add_argument(
        "--ray-address",
        help="with --engine ray, the Ray cluster to use, host:port or ray://host:port "
        "(default: $RAY_ADDRESS, else a local Ray)",
    )
    score.set_defaults(handler=cmd_score)

    runs = commands.add_parser("runs", help="list runs, newest first")
    runs.set_defaults(handler=cmd_runs)

    traces = commands.add_parser("traces", help="list stored traces")
    traces.add_argument("--run", help="only this run's traces")
    traces.add_argument("--limit", type=int, default=None, help="at most this many")
    traces.set_defaults(handler=cmd_traces)

    add_label_commands(commands)

    doctor = commands.add_parser(
        "doctor", help="check the store's health; --rebuild recovers a lost index.json"
    )
    doctor.add_argument(
        "--rebuild", action="store_true", help="recreate a missing index.json from the trace files"
    )
    # The whole store is examined, and selecting an experiment would write index.json.
    doctor.set_defaults(handler=cmd_doctor, uses_experiment=False)

    cache = commands.add_parser(
        "cache", help="the judge-call cache: model answers scorers got, replayed when re-scoring"
    )
    cache_commands = cache.add_subparsers(dest="cache_command", required=True)
    clear = cache_commands.add_parser("clear", help="forget every cached model answer")
    clear.set_defaults(handler=cmd_cache_clear, uses_experiment=False)
    add_mlflow_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.tracking_uri:
        scorelens.set_tracking_uri(args.tracking_uri)
    try:
        if args.experiment and getattr(args, "uses_experiment", True):
            scorelens.set_experiment(args.experiment)
        args.handler(args)
        # Inside the try: output still buffered for a closed pipe fails here, not at exit.
        sys.stdout.flush()
    except (CliError, UserCodeError, DatasetError, EvalDataError, StoreError, ValueError) as exc:
        print(f"scorelens: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader left (`scorelens traces | head`): stop quietly, as Unix tools do. Python
        # would flush stdout again at exit and complain, so what is left goes to devnull.
        # (When main() runs in-process, stdout may have no file descriptor: nothing to quiet.)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(f"scorelens: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scorelens: interrupted", file=sys.stderr)
        return 130
    return 0


def _describe_os_error(exc: OSError) -> str:
    """`path: reason`, naming the file as the system reported it."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    where = _path_text(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {_path_text(exc.filename2)}"
    return f"{where}: {reason}"


def _path_text(name: object) -> str:
    if isinstance(name, (str, bytes, os.PathLike)):
        return os.fsdecode(name)
    return str(name)


def cmd_generate(args: argparse.Namespace) -> None:
    data = load_dataset(args.dataset)
    app = load_app(args.app)
    started = time.monotonic()
    generated = generate_traces(data, app, on_progress=ProgressBar("generate"))
    traces, failed = generated.traces, generated.failed
    print(
        f"Generated {len(traces)} traces in run {generated.run_id} "
        f"({len(failed)} failed) in {time.monotonic() - started:.2f} s"
    )
    for trace in failed[:5]:
        root = trace.root_span
        print(f"  {trace.trace_id}: {root.status_message if root else 'no spans'}")
    if len(failed) > 5:
        print(f"  ... and {len(failed) - 5} more")
    if failed:
        # Scripts and CI act on the exit status, not on the summary line.
        raise CliError(
            f"{len(failed)} of {len(traces)} rows failed; their traces are stored with state ERROR"
        )


def _resolve_run(run_id: str | None) -> str:
    store = tracking.get_store()
    if run_id is not None:
        if store.get_run(run_id) is None:
            raise CliError(f"no run {run_id} in {store.root}; see 'scorelens runs'")
        return run_id
    latest = store.latest_run_with_traces(tracking.current_experiment_id())
    if latest is None:
        raise CliError(
            f"no stored traces in {store.root}; record some with 'scorelens generate' first"
        )
    return str(latest["run_id"])


def cmd_score(args: argparse.Namespace) -> None:
    if args.workers is not None and args.workers < 1:
        raise CliError(f"--workers must be 1 or more, got {args.workers}")
    if args.ray_address is not None and args.engine != "ray":
        raise CliError("--ray-address needs --engine ray")
    # Read before scoring: a broken price file should not cost a whole run first.
    prices = PriceTable()
    scorers = load_scorers(args.scorers)
    run_id = None if args.all else _resolve_run(args.run)
    where = "all traces" if run_id is None else f"run {run_id}"
    if args.engine == "ray":
        # The Ray tasks read the traces; this process reads none of them.
        selection = stored_selection(run_id)
        store = tracking.get_store()
        if not any(store.segment_names(group) for group in selection.groups):
            raise CliError(f"{where} has no traces to score")
        started = time.monotonic()
        evaluation = rescore_on_ray(
            selection,
            scorers,
            on_progress=ProgressBar("score"),
            max_workers=args.workers,
            judge_cache=args.judge_cache,
            ray_address=args.ray_address,
        )
    else:
        traces = scorelens.search_traces(run_id=run_id)
        if traces.empty:
            raise CliError(f"{where} has no traces to score")
        started = time.monotonic()
        evaluation = run_evaluation(
            traces,
            scorers,
            on_progress=ProgressBar("score"),
            max_workers=args.workers,
            judge_cache=args.judge_cache,
        )
    elapsed = time.monotonic() - started
    result = evaluation.result
    names = evaluation.feedback_names()
    # Per row, each Feedback name's verdict (the last, when a scorer gave a name twice).
    by_row = [{v.feedback.name: v for v in items} for items in evaluation.verdicts]
    agreements = evaluation.agreements
    summary = []
    for name in names:
        judged = [row[name] for row in by_row if name in row]
        errors = sum(1 for v in judged if v.feedback.error is not None)
        cells = [name, _figures(name, judged, result.metrics), len(judged) - errors, errors]
        # The column only when some scorer has labels: without any it would say nothing.
        if agreements:
            cells.append(agreement_cell(agreements.get(name)))
        summary.append(cells)
    headers = ["scorer", "aggregates", "scored", "errors"] + (["agreement"] if agreements else [])
    print(f"Scored {len(by_row)} traces from {where} in {elapsed:.2f} s (run {result.run_id})")
    print(render(headers, summary))
    usage = judge_usage_rows(evaluation.judge_calls, prices)
    if usage:
        print()
        print(render(JUDGE_USAGE_HEADERS, usage))
    if args.rows:
        print()
        rows: list[list[Any]] = []
        for row, verdicts in zip(evaluation.rows, by_row, strict=True):
            cells = [
                row.trace.trace_id if row.trace else "-",
                preview(row.inputs, 30),
                preview(row.outputs, 30),
            ]
            for name in names:
                verdict = verdicts.get(name)
                if verdict is None:
                    cells.append("-")
                elif verdict.feedback.error is not None:
                    cells.append("ERROR")
                else:
                    cells.append(format_value(verdict.feedback.value))
            rows.append(cells)
        print(render(["trace", "input", "output", *names], rows))


def _figures(name: str, judged: list[Verdict], metrics: dict[str, float]) -> str:
    """`44/55 pass` for a pass/fail Feedback, as the editor's lens says it; else its metrics."""
    passed, failed = pass_fail(v.feedback.value for v in judged if v.feedback.error is None)
    if passed is not None and failed is not None:
        return pass_count(passed, failed)
    figures = ", ".join(
        f"{aggregation} {format_value(v)}"
        for key, v in metrics.items()
        for scorer, _, aggregation in [key.rpartition("/")]
        if scorer == name and aggregation not in AGREEMENT_METRICS
    )
    return figures or "-"


def cmd_runs(args: argparse.Namespace) -> None:
    runs = tracking.get_store().list_runs(tracking.current_experiment_id())
    if not runs:
        print("No runs yet.")
        return
    rows = [
        [
            r["run_id"],
            datetime.fromtimestamp(r["start_time"] / 1000).strftime("%Y-%m-%d %H:%M:%S"),
            r["status"],
            r["trace_count"],
            ", ".join(r.get("params", {}).get("scorers") or []) or "-",
            ", ".join(f"{k} {format_value(v)}" for k, v in r["metrics"].items()) or "-",
        ]
        for r in runs
    ]
    print(render(["run", "started", "status", "traces", "scorers", "metrics"], rows))


def cmd_traces(args: argparse.Namespace) -> None:
    if args.run is not None:
        _resolve_run(args.run)
    frame = scorelens.search_traces(run_id=args.run, max_results=args.limit)
    if frame.empty:
        print("No traces.")
        return
    rows = [
        [
            row["trace_id"],
            row["state"],
            f"{row['execution_duration']} ms",
            preview(row["request"]),
            preview(row["response"]),
        ]
        for _, row in frame.iterrows()
    ]
    print(render(["trace", "state", "duration", "request", "response"], rows))


def cmd_doctor(args: argparse.Namespace) -> None:
    store = tracking.get_store()
    report = _Report()
    report.row("store", store.root)
    if not os.path.exists(store.root):
        report.row("", "no store here yet; 'scorelens generate' records one")
        return
    _require_folder(store.root)
    if store.index_missing():
        if args.rebuild:
            recovered = store.rebuild_index()
            report.row("index.json", f"rebuilt from the trace files: {_plural(recovered, 'run')}")
        else:
            report.problem(
                "index.json",
                "missing, though trace files of its runs exist; run 'scorelens doctor --rebuild' "
                "to recreate it from them",
                summary="index.json is missing; run 'scorelens doctor --rebuild'",
            )
    elif args.rebuild:
        if _unlisted_runs(store):
            recovered = store.rebuild_index()
            report.row("index.json", f"added {_plural(recovered, 'run')} from the trace files")
        else:
            report.row("index.json", "lists every run with trace files; nothing to rebuild")
    elif os.path.exists(store.index_path):
        report.row("index.json", "ok")
    else:
        report.row("index.json", "not written yet")
    readable = _report_index(store, report) if not report.problems else False
    _report_traces(store, report)
    if readable:
        unlisted = _unlisted_runs(store)
        if unlisted:
            shown = ", ".join(unlisted[:3]) + (", ..." if len(unlisted) > 3 else "")
            report.problem(
                "unlisted",
                f"index.json does not list {_plural(len(unlisted), 'run')} with trace files "
                f"({shown}); run 'scorelens doctor --rebuild' to add them",
                summary=f"index.json does not list {_plural(len(unlisted), 'run')}",
            )
    if report.problems:
        raise CliError(f"the store at {store.root} needs attention: {'; '.join(report.problems)}")


def cmd_cache_clear(args: argparse.Namespace) -> None:
    root = tracking.get_tracking_uri()
    if not os.path.exists(root):
        raise CliError(f"no store at {root}; point --tracking-uri or SCORELENS_TRACKING_URI at one")
    _require_folder(root)
    cache = JudgeCache(root)
    forgotten = cache.clear()
    print(f"Forgot {_plural(forgotten, 'cached judge answer')} ({cache.folder})")


def _require_folder(root: str) -> None:
    if not os.path.isdir(root):
        raise CliError(
            f"{root} is a file, not a store folder; "
            "point --tracking-uri or SCORELENS_TRACKING_URI at a folder"
        )


class _Report:
    """`label  text` lines on stdout; problems also go into the closing one-line error."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def row(self, label: str, text: str) -> None:
        print(f"{label:<13}{text}")

    def problem(self, label: str, text: str, summary: str) -> None:
        self.row(label, text)
        self.problems.append(summary)


def _report_index(store: TraceStore, report: _Report) -> bool:
    """Experiments and runs from index.json; False when it cannot be read."""
    try:
        experiments = store.list_experiments()
        runs = store.list_runs()
    except StoreError as exc:
        report.problem("index.json", str(exc), summary="index.json is unreadable")
        return False
    with_traces = [r for r in runs if r["trace_count"] > 0]
    report.row("experiments", str(len(experiments)))
    report.row("runs", f"{len(runs)} ({len(with_traces)} with traces)")
    if with_traces:
        latest = with_traces[0]
        report.row("latest run", f"{latest['run_id']} ({_plural(latest['trace_count'], 'trace')})")
    return True


def _report_traces(store: TraceStore, report: _Report) -> None:
    """Reads every trace and assessment file, so an unreadable one shows now, not mid-score."""
    groups = store.groups()
    count = 0
    for group in groups:
        try:
            count += len(store.load_traces(group))
            store.load_assessments(group)
        except StoreError as exc:
            report.problem("unreadable", str(exc), summary=f"a file of {group} is unreadable")
        except OSError as exc:
            report.problem("unreadable", _describe_os_error(exc), summary=f"{group} cannot be read")
    report.row("traces", f"{count} in {_plural(len(groups), 'folder')}")


def _unlisted_runs(store: TraceStore) -> list[str]:
    """Run folders under traces/ that index.json has no record of, so no command can see."""
    listed = {r["run_id"] for r in store.list_runs()}
    return [g for g in store.groups() if not g.startswith("exp-") and g not in listed]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
