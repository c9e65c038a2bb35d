"""Run the same work in several threads at the same moment, each on its own database connection."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.db import connections

if TYPE_CHECKING:
    from collections.abc import Callable


def run_together(work: Callable[[], object], *, threads: int = 2, timeout: float = 120) -> list[BaseException]:
    """Start ``work`` in ``threads`` threads released together; return what any of them raised."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as error:  # reported to the caller's thread
            errors.append(error)
        finally:
            connections.close_all()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=timeout)
    return errors
