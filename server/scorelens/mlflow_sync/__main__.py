"""`python -m scorelens.mlflow_sync`: the editor's way to MLflow, in a process of its own.

The language server runs this rather than importing MLflow: MLflow's import takes seconds and
a few hundred MB, which the server would then keep for good. Answers are JSON lines on stdout:
`{"kind": "progress", "done": n, "total": m}` while pulling, then one `{"kind": "result", ...}`,
or `{"kind": "error", "message": ...}` and exit status 1.

    python -m scorelens.mlflow_sync experiments --tracking-uri URI
    python -m scorelens.mlflow_sync pull --tracking-uri URI --experiment-id ID --store PATH
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import scorelens
from scorelens.mlflow_sync import MlflowSyncError, list_experiments, pull


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scorelens.mlflow_sync")
    parser.add_argument("action", choices=["experiments", "pull"])
    parser.add_argument("--tracking-uri", required=True, help="MLflow's server or store")
    parser.add_argument("--experiment-id", help="the MLflow experiment to pull")
    parser.add_argument("--store", help="the local ScoreLens store to pull into")
    options = parser.parse_args(argv)
    try:
        if options.action == "experiments":
            found = list_experiments(options.tracking_uri)
            _say({"kind": "result", "experiments": [{"id": i, "name": n} for i, n in found]})
            return 0
        if not options.experiment_id or not options.store:
            raise MlflowSyncError("pull needs --experiment-id and --store")
        scorelens.set_tracking_uri(options.store)

        def progress(done: int, total: int) -> None:
            _say({"kind": "progress", "done": done, "total": total})

        result = pull(
            options.tracking_uri, experiment_id=options.experiment_id, on_progress=progress
        )
        _say(
            {
                "kind": "result",
                "runId": result.run_id,
                "newTraces": result.new_traces,
                "totalTraces": result.total_traces,
                "source": result.source,
            }
        )
        return 0
    except (MlflowSyncError, OSError) as exc:
        _say({"kind": "error", "message": str(exc)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
