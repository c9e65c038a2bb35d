"""Where a report command writes: a file (--output), or standard output for text formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError


def report_write(command: Any, data: bytes, *, output: str | None, fmt: str) -> None:
    """Write ``data`` to ``output``, or as text to the command's standard output."""
    if output:
        try:
            Path(output).write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from None
        return
    if fmt == "pdf":
        raise CommandError("A PDF is not written to the terminal: give --output FILE")
    command.stdout.write(data.decode("utf-8"), ending="")
