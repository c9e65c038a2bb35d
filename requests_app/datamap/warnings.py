"""Warnings about a valid data map: things that are allowed but are most likely a mistake.

A field whose name says it is a secret (a password, a hash of one, a token, a security
answer) and that the map would copy to the subject is such a thing: a copy of a credential
helps whoever gets hold of the copy. `disclose: never` with a reason keeps it out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from requests_app.datamap.schema import DataMap

SECRET_NAME = re.compile(r"(passw|pwd|hash|token|secret|api_?key|otp|security_(question|answer)|recovery_code)", re.I)


def secret_field_warnings(datamap: DataMap) -> list[str]:
    """One line per field that looks like a secret and is disclosed, with the fix."""
    warnings = []
    for system in datamap.systems:
        for dataset in system.datasets:
            for field in dataset.fields:
                if not field.withheld and (match := SECRET_NAME.search(field.name)):
                    warnings.append(
                        f"{system.name}.{dataset.name}.{field.name}: looks like a secret ({match.group(0).lower()}) "
                        "and would be copied to the subject; mark it `disclose: never` with a `disclose_reason`"
                    )
    return warnings
