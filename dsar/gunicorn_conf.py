"""Gunicorn settings every documented way of running the web server uses (``-c python:dsar.gunicorn_conf``).

Access and error logs go through ``dsar.log_redaction``: no link token or email address
reaches a log line.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from dsar.log_redaction import redact


class RedactingLogger(Logger):
    """Gunicorn's logger, with every value of the access log's atoms redacted (path, referer...)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
