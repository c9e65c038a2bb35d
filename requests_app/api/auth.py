"""Who is calling the API and what they may do: API keys with scopes, or a staff session.

An integration sends ``Authorization: Bearer <key>``; each operation names the scope it
needs. A staff member's browser session works too (with CSRF and the second factor, as in
the staff UI), and their role's permissions stand in for the scopes. Every refusal is on the
audit trail: an unknown, revoked or expired key, a missing scope, a throttled key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from dsar.log_redaction import redact
from requests_app.infra import ratelimit
from requests_app.models import ApiKey, ApiScope
from requests_app.services.api_keys import api_key_find, api_key_touch
from requests_app.staff.permissions import ACT, PERSONAL_DATA, VIEW, second_factor_missing
from requests_app.workflow.audit import Actor, audit_append

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

# What a staff session needs for each scope. Creating an already-verified request is for
# integrations with that right only; staff record how they checked someone in the staff UI.
SESSION_PERMISSIONS: dict[str, str | None] = {
    ApiScope.REQUESTS_CREATE: ACT,
    ApiScope.REQUESTS_CREATE_VERIFIED: None,
    ApiScope.REQUESTS_READ: VIEW,
    ApiScope.REQUESTS_ACT: ACT,
    ApiScope.DATAMAP_READ: VIEW,
    ApiScope.METRICS_READ: VIEW,
    ApiScope.WEBHOOKS_MANAGE: "requests_app.change_webhooksubscription",
}


class KeyCaller:
    """``request.user`` for a call made with a key: authenticated, with no staff permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def get_username(self) -> str:
        return f"api_key:{self.key.prefix}"


def caller_actor(request: Request) -> Actor:
    """Who the audit trail names for this call: the key, or the staff member."""
    if isinstance(request.auth, ApiKey):
        return Actor.api_key(request.auth)
    if signed_in(request):
        return Actor.staff(request.user)  # type: ignore[arg-type]
    return Actor(label="anonymous")


def signed_in(request: Request) -> bool:
    """A person signed in (``request.user`` is None for an anonymous API call)."""
    return bool(getattr(request.user, "is_authenticated", False))


def caller_key(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def caller_has(request: Request, scope: str) -> bool:
    key = caller_key(request)
    if key is not None:
        return key.has_scope(scope)
    permission = SESSION_PERMISSIONS.get(scope)
    user = request.user
    return bool(permission and signed_in(request) and user.has_perm(VIEW) and user.has_perm(permission))


def caller_sees_personal_data(request: Request) -> bool:
    """A key that may read requests sees their subjects; staff, as their role says."""
    key = caller_key(request)
    if key is not None:
        return key.has_scope(ApiScope.REQUESTS_READ)
    return bool(signed_in(request) and request.user.has_perm(PERSONAL_DATA))


def refusal_record(request: Any, *, actor: Actor, code: str, reason: str, data: dict[str, Any] | None = None) -> None:
    """Put a refused API call on the audit trail (who, what they asked for, why), never its body."""
    audit_append(
        actor=actor,
        action="api.refused",
        reason=reason,
        data={"code": code, "method": request.method, "path": redact(request.path)[:300], **(data or {})},
    )


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer dsar_...``: a known key that is neither revoked nor expired."""

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[KeyCaller, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            return self._refuse(request, "malformed_credentials", "Send the key as: Authorization: Bearer <key>")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            return self._refuse(request, "malformed_credentials", "An API key is plain ASCII text")
        key = api_key_find(raw)
        now = timezone.now()
        if key is None:
            return self._refuse(request, "key_unknown", "This API key is not known")
        if key.revoked_at is not None:
            return self._refuse(request, "key_revoked", "This API key was revoked", key)
        if key.expires_at <= now:
            return self._refuse(request, "key_expired", "This API key has expired", key)
        api_key_touch(key, now)
        return KeyCaller(key), key

    def _refuse(self, request: Request, code: str, message: str, key: ApiKey | None = None) -> NoReturn:
        # Guessing keys costs the guesser: after the limit, refusals are no longer recorded
        # one by one (the trail cannot be flooded) and the address waits.
        limited = ratelimit.hit("api_auth_failure", ratelimit.client_ip(request._request))
        if limited is not None:
            raise exceptions.Throttled(wait=limited.retry_after)
        actor = Actor.api_key(key) if key is not None else Actor(label="anonymous")
        refusal_record(request, actor=actor, code=code, reason=message)
        raise exceptions.AuthenticationFailed(message, code=code)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StaffSessionAuthentication(SessionAuthentication):
    """A staff member signed in to the staff UI, with CSRF and the second factor checked."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        if second_factor_missing(request._request):
            raise exceptions.AuthenticationFailed(
                "Give your second factor in the staff UI first", code="second_factor_required"
            )
        return result


class ScopeRequired(BasePermission):
    """The view's ``required_scope`` (or ``scope_for_method``) must be the caller's."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        scope = required_scope(request, view)
        if not signed_in(request):
            raise exceptions.NotAuthenticated("Send an API key: Authorization: Bearer <key>")
        if scope is not None:
            scope_demand(request, scope)
        return True


def scope_demand(request: Request, scope: str) -> None:
    """Go on if the caller has ``scope``; else record the refusal and answer 403."""
    if caller_has(request, scope):
        return
    refusal_record(request, actor=caller_actor(request), code="scope_missing", reason=f"The {scope} scope is needed")
    raise exceptions.PermissionDenied(f"This needs the {scope} scope", code="scope_missing")


def required_scope(request: Request, view: APIView) -> str | None:
    by_method: dict[str, str] = getattr(view, "scope_for_method", {})
    scope: str | None = by_method.get(request.method or "", getattr(view, "required_scope", None))
    return scope


class CallerThrottle(BaseThrottle):
    """Each key (or staff member) has its own budget of calls, counted across every process."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = caller_key(request)
        if key is not None:
            identity = f"key:{key.pk}"
        elif signed_in(request):
            identity = f"user:{request.user.pk}"
        else:
            return True
        limited = ratelimit.hit("api_caller", identity)
        if limited is None:
            return True
        # Not recorded one by one: a client in a loop would flood the audit trail.
        self.retry_after = limited.retry_after
        return False

    def wait(self) -> float | None:
        return self.retry_after
