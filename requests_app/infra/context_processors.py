"""Values every template may show."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def branding(request: HttpRequest) -> dict[str, str]:
    return {"dsar_company_name": settings.DSAR_COMPANY_NAME}
