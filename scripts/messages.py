"""The requester's translation catalogues: extract, update and check them, in pure Python.

    python scripts/messages.py update   # add new strings to locale/*/LC_MESSAGES/django.po
    python scripts/messages.py check    # exit 1 if a string is missing or untranslated

What a requester sees is in scope: the public pages, the emails to requesters (not
emails/staff/), the bundle documents, and the Python modules named below. Templates are
read the way Django's makemessages reads them (django.utils.translation.template.templatize),
then Babel extracts the calls, so no GNU gettext is needed. Compile with compile_messages.py.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.extract import extract_python  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

LOCALE = ROOT / "locale"
TEMPLATE_GLOBS = ("templates/public/*.html", "templates/emails/*.txt", "templates/emails/*.html", "templates/bundles/*")
PYTHON_FILES = (
    "requests_app/public/forms.py",
    "requests_app/public/views.py",
    "requests_app/public/regions.py",
    "requests_app/workflow/progress.py",
    "requests_app/verification/challenges.py",
    "requests_app/models/requests.py",
    "requests_app/models/bundles.py",
    "requests_app/models/tasks.py",
    "requests_app/fulfilment/decisions.py",
    "requests_app/fulfilment/results.py",
    "requests_app/fulfilment/bundles/certificate.py",
    "requests_app/fulfilment/bundles/report.py",
)
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

Message = tuple[str | tuple[str, str], str | None, str]  # (msgid or (singular, plural), context, where)


def _extract(code: bytes, where: str) -> list[Message]:
    found: list[Message] = []
    for lineno, funcname, messages, _comments in extract_python(io.BytesIO(code), KEYWORDS, [], {}):
        parts: list[Any] = list(messages) if isinstance(messages, tuple | list) else [messages]
        spec = KEYWORDS[str(funcname)]
        context = None
        # Babel gives (context, msgid[, plural]) for the *pgettext keywords.
        if isinstance(spec, tuple) and isinstance(spec[0], tuple):
            context, parts = str(parts[0]), parts[1:]
        if not parts[0]:
            continue
        msgid: str | tuple[str, str] = str(parts[0]) if len(parts) == 1 else (str(parts[0]), str(parts[1]))
        found.append((msgid, context, f"{where}:{lineno}"))
    return found


def template_paths() -> list[Path]:
    return sorted(path for pattern in TEMPLATE_GLOBS for path in ROOT.glob(pattern) if path.is_file())


def extract() -> list[Message]:
    """Every translatable string in scope, in the order of the files."""
    import django

    django.setup()
    from django.utils.translation.template import templatize

    messages: list[Message] = []
    for path in template_paths():
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        # The template's text is blanked out into words; without their indentation Python's
        # tokenizer reads the lines (each string literal keeps its newlines escaped).
        code = "\n".join(line.lstrip() for line in code.splitlines())
        messages += _extract(code.encode("utf-8"), str(path.relative_to(ROOT)))
    for name in PYTHON_FILES:
        messages += _extract((ROOT / name).read_bytes(), name)
    return messages


def template_catalog(messages: list[Message]) -> Catalog:
    catalog = Catalog(project="dsar", fuzzy=False)
    for msgid, context, where in messages:
        file, _, line = where.rpartition(":")
        catalog.add(msgid, locations=[(file, int(line))], context=context)
    return catalog


def languages() -> list[str]:
    from django.conf import settings

    return [code for code, _ in settings.LANGUAGES if code != "en"]


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def update() -> int:
    template = template_catalog(extract())
    for language in languages():
        path = po_path(language)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, project="dsar", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=0, omit_header=False, ignore_obsolete=True, sort_output=False)
        untranslated = [m.id for m in catalog if m.id and not _translated(m)]
        sys.stdout.write(f"{path.relative_to(ROOT)}: {len(catalog)} strings, {len(untranslated)} untranslated\n")
    return 0


def _translated(message: object) -> bool:
    string = message.string  # type: ignore[attr-defined]
    if getattr(message, "fuzzy", False):
        return False
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def problems() -> list[str]:
    """What is missing: a string in scope not in a catalogue, untranslated, fuzzy or obsolete."""
    wanted: set[tuple[str, str | None]] = {(m[0][0] if isinstance(m[0], tuple) else m[0], m[1]) for m in extract()}
    found = []
    for language in languages():
        path = po_path(language)
        if not path.exists():
            found.append(f"{language}: no {path.relative_to(ROOT)}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        have: dict[tuple[str, str | None], Any] = {}
        for message in catalog:
            if message.id:
                msgid = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
                have[(msgid, message.context)] = message
        for wanted_key in sorted(wanted, key=str):
            entry = have.get(wanted_key)
            if entry is None:
                found.append(f"{language}: missing {wanted_key[0]!r}")
            elif not _translated(entry):
                found.append(f"{language}: untranslated or fuzzy {wanted_key[0]!r}")
        for unused in sorted(set(have) - wanted, key=str):
            found.append(f"{language}: no longer used {unused[0]!r}")
    return found


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        return update()
    if argv[1:] == ["check"]:
        listed = problems()
        for line in listed:
            sys.stdout.write(f"{line}\n")
        return 1 if listed else 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
