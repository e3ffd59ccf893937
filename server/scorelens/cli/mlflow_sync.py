"""`scorelens mlflow pull | push | experiments`: traces from and to an MLflow tracking server.

The global `--tracking-uri` and `--experiment` still name the local store and experiment; the
subcommands' own `--tracking-uri` and `--experiment` name MLflow's, so they are kept apart.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from scorelens.cli.progress import ProgressBar
from scorelens.cli.tables import render
from scorelens.mlflow_sync import list_experiments, pull, push


def add_commands(commands: Any) -> None:
    """Add `mlflow` and its subcommands to the `scorelens` parser's subcommands."""
    mlflow = commands.add_parser("mlflow", help="pull traces from an MLflow server; push results")
    actions = mlflow.add_subparsers(dest="mlflow_command", required=True)

    pulled = actions.add_parser(
        "pull", help="copy an MLflow experiment's new traces into a local run named after it"
    )
    _add_uri(pulled)
    which = pulled.add_mutually_exclusive_group(required=True)
    which.add_argument("--experiment", dest="mlflow_experiment", help="MLflow experiment name")
    which.add_argument("--experiment-id", dest="mlflow_experiment_id", help="its id instead")
    pulled.add_argument(
        "--filter",
        dest="filter_string",
        help="MLflow search_traces filter, e.g. \"trace.status = 'OK'\"",
    )
    pulled.add_argument("--max", dest="max_results", type=int, help="at most this many new traces")
    pulled.set_defaults(handler=cmd_pull)

    pushed = actions.add_parser(
        "push", help="log the latest scorer results and human labels on the MLflow traces"
    )
    _add_uri(pushed)
    pushed.add_argument("--run", help="only this pulled run (default: every run pulled from there)")
    pushed.add_argument(
        "--scorer",
        dest="scorers",
        action="append",
        metavar="NAME",
        help="only feedback of this name (repeat for more)",
    )
    pushed.set_defaults(handler=cmd_push)

    experiments = actions.add_parser("experiments", help="list the MLflow experiments")
    _add_uri(experiments)
    # Listing a remote server's experiments reads or writes nothing local.
    experiments.set_defaults(handler=cmd_experiments, uses_experiment=False)


def _add_uri(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        dest="mlflow_uri",
        required=True,
        help="MLflow tracking server (http://host:port) or store (sqlite:///path/mlflow.db)",
    )


def cmd_pull(args: argparse.Namespace) -> None:
    started = time.monotonic()
    result = pull(
        args.mlflow_uri,
        experiment_name=args.mlflow_experiment,
        experiment_id=args.mlflow_experiment_id,
        filter_string=args.filter_string,
        max_results=args.max_results,
        on_progress=ProgressBar("pull"),
    )
    print(
        f"Pulled {result.new_traces} new traces into run {result.run_id} ({result.source}; "
        f"{result.total_traces} in all) in {time.monotonic() - started:.2f} s"
    )


def cmd_push(args: argparse.Namespace) -> None:
    started = time.monotonic()
    result = push(
        args.mlflow_uri, run_id=args.run, scorers=args.scorers, on_progress=ProgressBar("push")
    )
    gone = f", {result.missing} on traces no longer in MLflow" if result.missing else ""
    print(
        f"Pushed to {args.mlflow_uri}: {result.logged} logged, {result.updated} updated, "
        f"{result.unchanged} unchanged{gone} in {time.monotonic() - started:.2f} s"
    )


def cmd_experiments(args: argparse.Namespace) -> None:
    found = list_experiments(args.mlflow_uri)
    print(render(["id", "name"], [[i, name] for i, name in found]))
