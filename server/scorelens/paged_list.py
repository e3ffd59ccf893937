"""MLflow's PagedList (mlflow.store.entities.PagedList): a list with the next page's token."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


class PagedList(list[T]):
    """One page of results; `token` fetches the next page, and is None on the last one."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token

    def to_list(self) -> list[T]:
        return list(self)


__all__ = ["PagedList"]
