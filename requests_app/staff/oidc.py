"""Single sign-on with the company's identity provider (OpenID Connect), beside the password.

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, through Authlib's
Django client: the ``state``, ``nonce`` and code verifier live in the session that started
the sign-in and are used once. The ID token's RS256 (or other asymmetric) signature is
checked against the provider's JWKS, and ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``
against what we expect. The discovery document and the keys are fetched at each sign-in
(sign-ins are rare), so the provider can rotate its keys without anything done here.

Calls to the provider are plain HTTPS with a timeout, not ``infra.outbound_http``: that
guard is for addresses integrations hand us (webhooks, agents), and refuses private
networks, while the identity provider is one address the operator configured, often inside
the company's network.

Authlib ships no type information, so its imports are confined to this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc.errors import JoseError
from requests import RequestException

from requests_app.models import OidcIdentity
from requests_app.staff.permissions import OIDC_SESSION_KEY
from requests_app.staff.roles import ADMIN, ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Set in the session of a single sign-on: the provider gave the second factor (if its policy
# asks for one), so permissions.second_factor_missing does not ask for a TOTP code.
SESSION_KEY = OIDC_SESSION_KEY

# Asymmetric signatures only: a shared-secret (HS*) token could be made by anyone holding the
# client secret, and "none" is no signature at all.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


@dataclass(frozen=True)
class Refusal(Exception):
    """A sign-in that does not go through: ``reason`` is recorded, ``message`` is shown."""

    reason: str
    message: str
    username: str | None = None
    status: int = 400


def enabled() -> bool:
    return bool(settings.DSAR_OIDC_ISSUER)


def _client() -> Any:
    issuer = settings.DSAR_OIDC_ISSUER
    return DjangoOAuth2App(
        DjangoIntegration("dsar"),
        "dsar",
        client_id=settings.DSAR_OIDC_CLIENT_ID,
        client_secret=settings.DSAR_OIDC_CLIENT_SECRET,
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(settings.DSAR_OIDC_SCOPES),
            "code_challenge_method": "S256",
            "default_timeout": settings.DSAR_OIDC_TIMEOUT_SECONDS,
        },
    )


def _metadata(client: Any) -> dict[str, Any]:
    """The discovery document, refused unless it names the configured issuer (OIDC Discovery §4.3)."""
    metadata: dict[str, Any] = client.load_server_metadata()
    if metadata.get("issuer") != settings.DSAR_OIDC_ISSUER:
        raise Refusal("provider_misconfigured", "The identity provider describes itself as another issuer.")
    # The provider's list would otherwise decide which algorithms are accepted.
    metadata["id_token_signing_alg_values_supported"] = ALGORITHMS
    return metadata


def authorize_redirect(request: HttpRequest, *, redirect_uri: str, next_url: str) -> HttpResponse:
    """Send the browser to the provider; ``state``, ``nonce`` and the PKCE verifier stay in the session."""
    client = _client()
    try:
        _metadata(client)
        response: HttpResponse = client.authorize_redirect(request, redirect_uri)
    except (RequestException, ValueError) as exc:
        logger.warning("OIDC discovery failed: %s", type(exc).__name__)
        raise Refusal("provider_unreachable", "The identity provider could not be reached. Try again later.") from exc
    request.session["dsar_oidc_next"] = next_url
    return response


def callback_claims(request: HttpRequest) -> dict[str, Any]:
    """Check the callback (state, code, ID token) and return the ID token's claims."""
    client = _client()
    if request.GET.get("error"):
        raise Refusal("provider_refused", "The identity provider did not sign you in.")
    state = request.GET.get("state", "")
    if not state or client.framework.get_state_data(request.session, state) is None:
        # Unknown, used or from another browser: nothing to check the answer against.
        raise Refusal("state_mismatch", "This sign-in link is not the one this browser started, or it was used.")
    try:
        _metadata(client)
        claims_options = {
            "iss": {"essential": True, "value": settings.DSAR_OIDC_ISSUER},
            "aud": {"essential": True, "value": settings.DSAR_OIDC_CLIENT_ID},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        token = client.authorize_access_token(request, claims_options=claims_options, leeway=60)
    except Refusal:
        raise
    except (AuthlibBaseError, JoseError, ValueError) as exc:
        logger.warning("OIDC token refused: %s", type(exc).__name__)
        raise Refusal("token_invalid", "The identity provider's answer could not be verified.") from exc
    except RequestException as exc:
        logger.warning("OIDC token request failed: %s", type(exc).__name__)
        raise Refusal("provider_unreachable", "The identity provider could not be reached. Try again later.") from exc
    claims = token.get("userinfo")
    if not claims:
        # No ID token at all: an access token alone says nothing about who signed in.
        raise Refusal("token_invalid", "The identity provider's answer carried no ID token.")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:  # OIDC Core §2: at most 255 ASCII characters
        raise Refusal("token_invalid", "The identity provider's answer could not be verified.")
    return dict(claims)


def _claimed_roles(claims: dict[str, Any]) -> set[str]:
    value = claims.get(settings.DSAR_OIDC_ROLE_CLAIM)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {settings.DSAR_OIDC_ROLE_MAP[v] for v in values if isinstance(v, str) and v in settings.DSAR_OIDC_ROLE_MAP}


def _new_username(claims: dict[str, Any]) -> str:
    for candidate in (claims.get("preferred_username"), claims.get("email")):
        if isinstance(candidate, str) and _USERNAME_UNSAFE.sub("", candidate):
            return _USERNAME_UNSAFE.sub("", candidate)[:150]
    digest = sha256(f"{claims['iss']} {claims['sub']}".encode()).hexdigest()[:12]
    return f"sso-{digest}"


def _roles_set(user: User, roles: set[str]) -> None:
    """Make the user's role groups exactly ``roles``; other groups are left as they are."""
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name__in=roles))
    user.groups.add(*Group.objects.filter(name__in=roles))


def user_sign_in(*, claims: dict[str, Any]) -> User:
    """Find (or, on the first sign-in, create) the user of these verified claims and set their roles.

    The user is found by issuer and subject only. An existing local account is never taken
    over because its username or email matches: a privacy admin links it on purpose in the
    admin site ("single sign-on identities"). The roles follow the provider at each sign-in,
    so a group removed there is a role removed here; with no mapped group nothing is created
    and an existing user loses their roles.
    """
    user_model: type[User] = get_user_model()
    issuer, subject = claims["iss"], claims["sub"]
    roles = _claimed_roles(claims)
    try:
        outcome = _user_sign_in(user_model, issuer=issuer, subject=subject, roles=roles, claims=claims)
    except IntegrityError as exc:
        # Two first sign-ins of one person at once: the unique constraints let one create the
        # user; the other's transaction is rolled back, and their next try finds the user.
        raise Refusal("conflict", "Your account was being set up by another sign-in. Try again.", status=409) from exc
    # Raised after the commit: the roles a refused user loses stay lost.
    if isinstance(outcome, Refusal):
        raise outcome
    return outcome


def _user_sign_in(
    user_model: type[User], *, issuer: str, subject: str, roles: set[str], claims: dict[str, Any]
) -> User | Refusal:
    with transaction.atomic():
        identity = OidcIdentity.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
        user: User | None = user_model.objects.filter(pk=identity.user_id).first() if identity else None
        if user is not None and not user.is_active:
            return Refusal(
                "inactive", "Your account here is deactivated. Ask a privacy admin.", user.get_username(), 403
            )
        if not roles:
            if user is not None:
                _roles_set(user, set())
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            return Refusal(
                "no_role",
                "Your company account has no role in the privacy team here. Ask your identity "
                "provider's administrator for one of the privacy groups.",
                user.get_username() if user else _new_username(claims),
                403,
            )
        if user is None:
            username = _new_username(claims)
            if user_model.objects.filter(username__iexact=username).exists():
                return Refusal(
                    "username_taken",
                    f"An account named {username} exists here and is not linked to your company sign-in. "
                    "A privacy admin can link it in the admin site (single sign-on identities).",
                    username,
                    403,
                )
            # No usable password: this account signs in through the provider only.
            user = user_model.objects.create_user(username=username, password=None)
            identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        # The email only when the provider vouches for it: staff emails go to this address.
        if claims.get("email_verified") is True and isinstance(claims.get("email"), str):
            user.email = claims["email"][:254]
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        # The admin site needs "staff status"; it follows the admin role like the rest.
        user.is_staff = ADMIN in roles
        user.save()
        _roles_set(user, roles)
        OidcIdentity.objects.filter(user=user).update(last_sign_in_at=timezone.now())
        return user
