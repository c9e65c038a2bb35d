"""Public request references such as ``DSR-7KQ2-M9XD``.

Eight random characters of Crockford's base32 (no I, L, O or U, so nothing is misread)
give 2**40 possible references: a stranger who guesses cannot find a request, and the
reference says nothing about how many requests exist. Uniqueness is the database's job
(a unique constraint); the caller retries on the rare collision.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "DSR"
_PATTERN = re.compile(r"^DSR-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})$")
# What people type for what they read: Crockford's decoding rules.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def reference_generate() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{PREFIX}-{chars[:4]}-{chars[4:]}"


def reference_normalize(text: str) -> str | None:
    """Return the canonical form of a reference a person typed, or None if it is not one.

    Accepts any case, missing or extra dashes and spaces, and the look-alike letters O, I, L.
    """
    compact = re.sub(r"[\s\-_]", "", text.upper())
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    compact = compact.translate(_LOOKALIKES)
    if len(compact) != 8:
        return None
    candidate = f"{PREFIX}-{compact[:4]}-{compact[4:]}"
    return candidate if _PATTERN.match(candidate) else None
