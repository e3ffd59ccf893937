"""Traces from and to an MLflow tracking server or store.

    pull(uri, experiment_name=... | experiment_id=...)  MLflow's traces -> a local run
    push(uri)                                           local results -> MLflow feedback
    list_experiments(uri)                               (id, name) pairs, for a picker

Needs MLflow (`pip install "scorelens[mlflow]"`), imported only when one of these is called;
without it they raise MlflowSyncError saying how to install it.
"""

from scorelens.mlflow_sync.connection import INSTALL_HINT, MlflowSyncError, list_experiments
from scorelens.mlflow_sync.pull import PullResult, pull
from scorelens.mlflow_sync.push import PushResult, push

__all__ = [
    "INSTALL_HINT",
    "MlflowSyncError",
    "PullResult",
    "PushResult",
    "list_experiments",
    "pull",
    "push",
]
