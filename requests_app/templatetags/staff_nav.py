"""Figures the staff navigation shows on every page: how many open requests are mine."""

from __future__ import annotations

from typing import Any

from django import template

from requests_app.staff import workload

register = template.Library()


@register.simple_tag
def my_work_count(user: Any) -> int:
    """The open requests assigned to ``user`` (0 for someone who is not signed in)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return workload.my_work_count(user)
