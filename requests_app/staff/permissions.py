"""Who may see and do what in the staff UI, checked on the server for every view.

``staff_required(PERMISSION)`` wraps a view: an anonymous visitor is sent to the login page,
a signed-in user with no staff role gets 403, a staff member who has not yet given their
second factor (when it is required) is sent to give it, and one without the view's own
permission gets 403. A 403 page says nothing about the request asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from dsar.log_redaction import redact
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from requests_app.models import DataSubjectRequest

VIEW = "requests_app.view_datasubjectrequest"
ACT = "requests_app.act_on_request"
# Seeing a subject's personal data: their name and addresses, their messages and files, and
# what was exported for them. Auditors see what was done and when, not to whom.
PERSONAL_DATA = "requests_app.see_personal_data"

View = Callable[..., HttpResponseBase]


def forbidden(request: HttpRequest) -> HttpResponse:
    """The 403 page; the refusal is on the audit trail (who, what they asked for, not the page)."""
    user = request.user
    actor = Actor.staff(user) if user.is_authenticated else Actor(label="anonymous")
    audit_append(
        actor=actor,
        action="access.refused",
        reason="No permission for this page or action",
        data={"method": request.method, "path": redact(request.path)[:300]},
    )
    return render(request, "staff/forbidden.html", status=403)


def staff_actor(request: HttpRequest) -> Actor:
    """The signed-in staff member, as the audit trail names them (a view behind staff_required)."""
    assert request.user.is_authenticated  # noqa: S101 - staff_required let only signed-in staff here
    return Actor.staff(request.user)


def can_see_personal_data(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(PERSONAL_DATA))


def record_personal_data_read(
    http_request: HttpRequest, *, what: str, subject_request: DataSubjectRequest | None = None
) -> None:
    """Put a staff member's read of a subject's personal data on the audit trail."""
    audit_append(
        request=subject_request,
        actor=Actor.staff(http_request.user),  # type: ignore[arg-type]
        action="personal_data.viewed",
        data={"what": what},
    )


# Set in the session of a single sign-on (staff.oidc) to the issuer that signed the person in.
OIDC_SESSION_KEY = "dsar_oidc_issuer"


def second_factor_missing(request: HttpRequest) -> bool:
    """Whether this session still owes the second factor the settings require."""
    if not settings.DSAR_STAFF_REQUIRE_2FA:
        return False
    # A single sign-on: the identity provider asked for the second factor its policy requires.
    if settings.DSAR_OIDC_ISSUER and request.session.get(OIDC_SESSION_KEY) == settings.DSAR_OIDC_ISSUER:
        return False
    # django-otp's middleware gives every user is_verified(): true once this session gave a token.
    is_verified = getattr(request.user, "is_verified", None)
    return not (is_verified is not None and is_verified())


def staff_required(permission: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.has_perm(VIEW):
                return forbidden(request)
            if second_factor_missing(request):
                return redirect(f"{reverse('staff_otp_verify')}?{urlencode({'next': request.get_full_path()})}")
            if not user.has_perm(permission):
                return forbidden(request)
            response = view(request, *args, **kwargs)
            # Pages about people are never kept by a browser or proxy cache.
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator
