"""The language of an inbound email: its Content-Language header, else its most common words.

A pure function over the parsed message, so the choice is deterministic and testable. Only
the languages we answer in (settings.LANGUAGES) can come out; anything else, or a message too
short or too mixed to tell, gives None and the request is answered in the default language.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


# Short words common in a request written in each language and rare in the others. Words two
# languages share ("la", "que", "de", "no") are left out, so they cannot tip the count.
def _words(sentence: str) -> frozenset[str]:
    return frozenset(sentence.split())


COMMON_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are to my of you your please i me we our this with for have would like "
        "data request copy delete access information about what all"
    ),
    "de": _words(
        "der die das und ist ich mein meine meiner meinen mich mir bitte nicht mit sie ihre ihr "
        "über zu von den dem ein eine einer auf für daten auskunft löschung gemäß personenbezogenen "
        "sehr geehrte damen herren danke freundlichen grüßen"
    ),
    "fr": _words(
        "le les et est je mon ma mes vous votre vos des du une pour données accès demande merci "
        "avec pas ne moi sur concernant suppression personnelles madame monsieur bonjour cordialement "
        "conformément au aux"
    ),
    "es": _words(
        "el los las y es yo mi mis usted su sus del una para datos acceso solicitud gracias con "
        "por me sobre supresión personales señor señora hola atentamente conforme derecho"
    ),
}
# At least this many telling words, and more than any other language has, to decide.
MIN_WORDS = 3

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _header_language(content_language: str | None, supported: Iterable[str]) -> str | None:
    """The first language the header names (``de-DE, en`` → ``de``) that we answer in."""
    codes = set(supported)
    for part in (content_language or "").split(","):
        base = part.strip().lower().split(";", 1)[0].split("-", 1)[0].split("_", 1)[0]
        if base in codes:
            return base
    return None


def detect_language(*, content_language: str | None, subject: str, text: str, supported: Iterable[str]) -> str | None:
    """The language to answer this email in, or None to use the default."""
    supported = tuple(supported)
    if named := _header_language(content_language, supported):
        return named
    words = _WORD.findall(f"{subject}\n{text[:5000]}".lower())
    counts = {code: sum(word in COMMON_WORDS[code] for word in words) for code in supported if code in COMMON_WORDS}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][1] < MIN_WORDS or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]
