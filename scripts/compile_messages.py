"""Compile locale/<lang>/LC_MESSAGES/django.po into django.mo, in pure Python (Babel).

The compiled catalogues are not committed: `make demo`, `make test` and the Docker image run
this, so the build needs no GNU gettext. Fuzzy entries are left out, as msgfmt does. Exits 1
if a catalogue cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def main() -> int:
    failed = False
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        try:
            with po_path.open("rb") as handle:
                catalog = read_po(handle, abort_invalid=True)
        except PoFileError as error:
            sys.stderr.write(f"{po_path.relative_to(LOCALE.parent)}: {error}\n")
            failed = True
            continue
        with po_path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        done = sum(1 for message in catalog if message.id and message.string and not message.fuzzy)
        sys.stdout.write(f"{po_path.relative_to(LOCALE.parent)}: {done} messages compiled\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
