"""The server's settings, from initializationOptions and workspace/configuration ("scorelens")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from scorelens.tracking import DEFAULT_TRACKING_DIR, store_folder

DEFAULT_TIMEOUT_S = 30.0


@dataclass
class Settings:
    tracking_uri: str | None = None
    scorer_timeout_seconds: float = DEFAULT_TIMEOUT_S
    rescore_on_save: bool = True
    trusted: bool = True
    worker_python: str | None = None
    max_workers: int | None = None  # traces a scorer scores at once; None: the worker's default
    judge_cache: bool | None = None  # None: on, unless SCORELENS_JUDGE_CACHE=off
    judge_prices: dict[str, Any] = field(default_factory=dict)  # model -> {input, output}
    label_user: str | None = None  # who labels in the panel; None: $SCORELENS_USER, the login

    def store_root(self, workspace: str) -> str:
        folder = store_folder(self.tracking_uri or DEFAULT_TRACKING_DIR)
        return folder if os.path.isabs(folder) else os.path.join(workspace, folder)

    def update(self, values: Any) -> None:
        if not isinstance(values, dict):
            return
        if values.get("trackingUri"):
            self.tracking_uri = str(values["trackingUri"])
        timeout = values.get("scorerTimeoutSeconds")
        if isinstance(timeout, (int, float)) and timeout > 0:
            self.scorer_timeout_seconds = float(timeout)
        if isinstance(values.get("rescoreOnSave"), bool):
            self.rescore_on_save = values["rescoreOnSave"]
        if isinstance(values.get("trusted"), bool):
            self.trusted = values["trusted"]
        if values.get("python"):
            self.worker_python = str(values["python"])
        workers = values.get("maxWorkers")
        if isinstance(workers, int) and not isinstance(workers, bool) and workers > 0:
            self.max_workers = workers
        elif workers is None and "maxWorkers" in values:
            self.max_workers = None
        if isinstance(values.get("judgeCache"), bool):
            self.judge_cache = values["judgeCache"]
        if isinstance(values.get("judgePrices"), dict):
            self.judge_prices = dict(values["judgePrices"])
        if "labelUser" in values:
            named = values["labelUser"]
            self.label_user = named.strip() if isinstance(named, str) and named.strip() else None
