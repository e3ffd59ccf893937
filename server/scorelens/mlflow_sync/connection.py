"""Reaching an MLflow tracking server (`http(s)://`) or store (`sqlite:///`) through MLflow's own
clients, with every failure the user can fix said in one line.

MLflow is an optional extra: it is imported here, inside functions, so that importing ScoreLens
(the language server does) never needs it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

INSTALL_HINT = 'pip install "scorelens[mlflow]"'
# A refused or unresolvable address fails at once; MLflow's client would retry it for minutes.
_CONNECT_TIMEOUT_S = 5.0
_EXPERIMENTS_PAGE = 1000


class MlflowSyncError(ValueError):
    """A failure the user can fix (a wrong URI, experiment or filter; MLflow missing).

    A ValueError, as the command line's other such errors are, so it ends as one line there.
    """


@dataclass(frozen=True)
class Connection:
    """MLflow's clients for one tracking URI (`uri` as given, made absolute for a sqlite file)."""

    uri: str
    client: Any  # mlflow.MlflowClient
    tracing: Any  # mlflow.tracing.client.TracingClient: batch reads, assessments
    exception_type: type[Exception]

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """MLflow's exceptions inside the block become one-line MlflowSyncErrors about `what`."""
        try:
            yield
        except self.exception_type as exc:
            raise MlflowSyncError(f"{what}: {one_line(exc)}") from None

    def find_experiment(self, name: str | None, experiment_id: str | None) -> tuple[str, str]:
        """(id, name) of the experiment given by exactly one of its name or id."""
        if (name is None) == (experiment_id is None):
            raise MlflowSyncError("give the MLflow experiment's name or its id (one of them)")
        if name is not None:
            with self.errors(f"cannot read experiment {name!r} at {self.uri}"):
                found = self.client.get_experiment_by_name(name)
            if found is None or found.lifecycle_stage == "deleted":
                raise MlflowSyncError(f"no experiment named {name!r} at {self.uri}")
        else:
            with self.errors(f"no experiment with id {experiment_id!r} at {self.uri}"):
                found = self.client.get_experiment(experiment_id)
            if found.lifecycle_stage == "deleted":
                raise MlflowSyncError(f"experiment {experiment_id} at {self.uri} is deleted")
        return str(found.experiment_id), str(found.name)


def connect(tracking_uri: str) -> Connection:
    """MLflow's clients for `tracking_uri`, once it is known to be there."""
    uri = _normalized(tracking_uri)
    mlflow = import_mlflow()
    from mlflow.exceptions import MlflowException
    from mlflow.tracing.client import TracingClient

    _check_present(uri)
    return Connection(
        uri, mlflow.MlflowClient(tracking_uri=uri), TracingClient(uri), MlflowException
    )


def import_mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise MlflowSyncError(f"MLflow is not installed; install it with: {INSTALL_HINT}") from None
    return mlflow


def list_experiments(tracking_uri: str) -> list[tuple[str, str]]:
    """(id, name) of every active experiment at the tracking URI, for a picker."""
    connection = connect(tracking_uri)
    found: list[tuple[str, str]] = []
    token = None
    with connection.errors(f"cannot list the experiments at {connection.uri}"):
        while True:
            page = connection.client.search_experiments(
                max_results=_EXPERIMENTS_PAGE, page_token=token
            )
            found.extend((str(e.experiment_id), str(e.name)) for e in page)
            token = page.token
            if not token:
                return found


def describe_location(uri: str) -> str:
    """Where the URI points, shortly: `host:port` of a server, the file name of a database."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.netloc:
        return parts.netloc
    if parts.scheme.startswith("sqlite"):
        return os.path.basename(parts.path) or uri
    return uri


def _normalized(uri: str) -> str:
    uri = uri.strip()
    if not uri:
        raise MlflowSyncError("the MLflow tracking URI is empty")
    scheme = urlsplit(uri).scheme
    if scheme in ("http", "https"):
        return uri.rstrip("/")
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        # A relative database path: made absolute, the same store is found from any folder.
        return prefix + os.path.abspath(uri[len(prefix) :])
    return uri


def _check_present(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "", port), _CONNECT_TIMEOUT_S):
                pass
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise MlflowSyncError(
                f"cannot reach the MLflow tracking server at {uri}: {reason}"
            ) from None
    elif uri.startswith("sqlite:///"):
        # MLflow would create an empty database at a mistyped path and report no experiment.
        path = uri[len("sqlite:///") :]
        if not os.path.isfile(path):
            raise MlflowSyncError(f"no MLflow database at {path}")


def one_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
