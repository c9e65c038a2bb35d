"""Keep secrets out of log lines: the tokens in status and verification links, and addresses.

A status link (``/request/status/<token>/``) opens a subject's status page for 90 days and a
verification link confirms their request, so their paths are secrets; Django logs the path
of every 4xx and 5xx, and gunicorn logs every request. Both go through ``redact`` here: the
filter ``RedactSecrets`` on every handler of Django's logging, and gunicorn's logger class
in ``dsar/gunicorn_conf.py``. Email addresses are masked as well.
"""

from __future__ import annotations

import logging
import re

# The secret path segment after these prefixes, up to the next slash, space, quote or query.
_TOKEN_PATH = re.compile(r"(/request/(?:status|verify)/)(?!resend/)[^/\s?\"'#]+")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+\.)+[\w-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with link tokens replaced and email addresses masked (``a…@…``)."""
    text = _TOKEN_PATH.sub(lambda m: m.group(1) + REDACTED, text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}…@…", text)


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites each record's message through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
