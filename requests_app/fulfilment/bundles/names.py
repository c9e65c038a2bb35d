"""Safe, unique file names inside a bundle for system and dataset names that come from data.

A data map is written by engineers, but names can also come from the stores themselves, so
they are treated as hostile: `../`, `/`, `\\`, NUL, control and bidi characters, full-width
look-alikes, Windows reserved device names (CON, NUL, COM1 ...) and very long names must all
turn into one plain path component that cannot leave its folder on any operating system.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_COMPONENT = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Windows refuses these as file names, with any extension (CON.txt is the console too).
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{stem}{digit}" for stem in ("COM", "LPT") for digit in "0123456789¹²³"}
)


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def safe_component(name: str) -> str:
    """Return `name` as a portable path component; a changed name gets a hash of the original.

    The hash suffix is what keeps two different names apart once both are reduced to the
    same letters ("a/b" and "a?b" both read "a_b").
    """
    folded = unicodedata.normalize("NFKC", name)
    cleaned = _UNSAFE.sub("_", folded).strip("._")[:MAX_COMPONENT].rstrip("._")
    if cleaned.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    if cleaned and cleaned == name:
        return cleaned
    return f"{cleaned or 'unnamed'}-{_digest(name)}"


class NameRegistry:
    """Give each original name one unique component, also unique when compared case-blind.

    Case-blind because macOS and Windows file systems would unpack "Users" and "users" into
    one folder. A second name that still lands on a taken component gets a longer hash.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._taken: set[str] = set()

    def component(self, name: str) -> str:
        if name in self._by_name:
            return self._by_name[name]
        candidate = safe_component(name)
        full = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        attempt = 0
        # A crafted name can take the very component another name's hash leads to: lengthen
        # the hash, then count, until the component is free.
        while candidate.casefold() in self._taken:
            suffix = full[:24] if attempt == 0 else f"{full[:24]}-{attempt}"
            candidate = f"{safe_component(name)[:MAX_COMPONENT]}-{suffix}"
            attempt += 1
        self._taken.add(candidate.casefold())
        self._by_name[name] = candidate
        return candidate
