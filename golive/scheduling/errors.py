"""Exceptions raised by the scheduling library; each carries the task ids involved."""

from __future__ import annotations

from collections.abc import Sequence


class SchedulingError(Exception):
    """Base class of every error the scheduling library raises."""


class NetworkError(SchedulingError):
    """Reject a malformed network (duplicate or unknown ids, self-links, bad durations)."""

    def __init__(self, message: str, task_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.task_ids: tuple[str, ...] = tuple(task_ids)


class CycleError(SchedulingError):
    """Report one dependency cycle as the ordered list of the task ids that form it."""

    def __init__(self, task_ids: Sequence[str]) -> None:
        self.task_ids: list[str] = list(task_ids)
        chain = " → ".join([*self.task_ids, self.task_ids[0]]) if self.task_ids else ""
        super().__init__(f"tasks {chain} form a cycle")


class ConstraintError(SchedulingError):
    """Report a date constraint that the dependencies or the progress make impossible."""

    def __init__(self, task_id: str, detail: str) -> None:
        super().__init__(f"{task_id} {detail}")
        self.task_id = task_id
        self.task_ids: tuple[str, ...] = (task_id,)
        self.detail = detail
