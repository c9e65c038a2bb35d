"""Values every template may show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest


def branding(request: HttpRequest) -> dict[str, str]:
    return {"dsar_company_name": settings.DSAR_COMPANY_NAME}
