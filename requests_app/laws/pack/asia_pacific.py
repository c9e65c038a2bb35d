"""Rules of this region (see requests_app.laws.rules for the shape of a rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule

RULES: tuple[Rule, ...] = ()
