"""A checkpoint whose process dies around a store's write of a batch: for the resume tests."""

from __future__ import annotations

from typing import Any

from requests_app.fulfilment.connectors import MemoryCheckpoint


class Interrupted(Exception):
    """Stands for the process dying."""


class CrashingCheckpoint(MemoryCheckpoint):
    """Dies around the store's write of the third batch.

    ``before``: the batch's pending counts are saved, then the process dies, so the store
    never has the batch (a rollback, or writes never sent). ``after``: the store has the
    batch, then the process dies before the checkpoint says so.
    """

    def __init__(self, moment: str) -> None:
        super().__init__()
        self.moment, self.pending_saves, self.armed = moment, 0, False

    def save(self, state: dict[str, Any]) -> None:
        if self.armed:
            raise Interrupted
        pending = any("pending" in entry for entry in state.get("datasets", {}).values())
        super().save(state)
        self.pending_saves += pending
        if pending and self.pending_saves == 3:
            if self.moment == "before":
                raise Interrupted
            self.armed = True
