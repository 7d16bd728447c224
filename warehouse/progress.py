"""Live counts from long steps (files read, records resolved) for whoever shows them.

`strongties run` on a terminal listens and shows them beside its spinner; otherwise nobody
listens and a report costs one empty loop. The counts never hold names or file contents:
they could be shown anywhere, and Dagster's run history never sees them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    step: str  # the Dagster step reporting: read_inbox, resolve_people
    done: int | None  # None: a step that cannot count as it goes says only how much it has to do
    total: int
    unit: str  # what is counted, plural: "files", "records"


Listener = Callable[[Progress], None]
_listeners: list[Listener] = []


def report(step: str, done: int | None, total: int, unit: str) -> None:
    if _listeners:
        progress = Progress(step, done, total, unit)
        for listener in list(_listeners):
            listener(progress)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """`listener` hears every report made in this process until the block ends."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
