"""The rule pack: every law's rule, one module per region, each rule cited to its source.

``PACK`` is every rule at every version, in pack order; ``requests_app.laws.registry``
looks rules up by code, alias, date and version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from requests_app.laws.pack import africa, americas, asia_pacific, europe, us_states

if TYPE_CHECKING:
    from requests_app.laws.rules import Rule

PACK: tuple[Rule, ...] = (*europe.RULES, *americas.RULES, *us_states.RULES, *asia_pacific.RULES, *africa.RULES)
