"""Where the subject lives, as offered on the public form, and the law that sets the deadline."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# EU and EEA member states, and the United Kingdom (UK GDPR keeps the same one-month rule).
_GDPR = {
    "AT": _("Austria"), "BE": _("Belgium"), "BG": _("Bulgaria"), "HR": _("Croatia"), "CY": _("Cyprus"),
    "CZ": _("Czechia"), "DK": _("Denmark"), "EE": _("Estonia"), "FI": _("Finland"), "FR": _("France"),
    "DE": _("Germany"), "GR": _("Greece"), "HU": _("Hungary"), "IE": _("Ireland"), "IT": _("Italy"),
    "LV": _("Latvia"), "LT": _("Lithuania"), "LU": _("Luxembourg"), "MT": _("Malta"), "NL": _("Netherlands"),
    "PL": _("Poland"), "PT": _("Portugal"), "RO": _("Romania"), "SK": _("Slovakia"), "SI": _("Slovenia"),
    "ES": _("Spain"), "SE": _("Sweden"), "IS": _("Iceland"), "LI": _("Liechtenstein"), "NO": _("Norway"),
    "GB": _("United Kingdom"),
}  # fmt: skip

_OTHERS = {
    "US-CA": (_("United States: California"), "ccpa"),
    "US-OTHER": (_("United States: another state"), "default"),
    "CA": (_("Canada"), "pipeda"),
    "BR": (_("Brazil"), "lgpd"),
    "OTHER": (_("Another country"), "default"),
}


def region_choices() -> list[tuple[str, object]]:
    """Grouped choices for the form's select element."""
    europe = sorted(((code, str(name)) for code, name in _GDPR.items()), key=lambda item: item[1])
    others = [(code, str(label)) for code, (label, _law) in _OTHERS.items()]
    return [("", str(_("Choose where you live"))), (str(_("Europe")), europe), (str(_("Elsewhere")), others)]


def jurisdiction_for(region: str) -> str:
    """The deadline rule for a region: its law's, or the configurable "default" rule.

    A region nobody chose (an API call without one) gets DSAR_DEFAULT_JURISDICTION.
    """
    if region in _GDPR:
        return "gdpr"
    if region in _OTHERS:
        return _OTHERS[region][1]
    return settings.DSAR_DEFAULT_JURISDICTION


def is_known(region: str) -> bool:
    return region in _GDPR or region in _OTHERS
