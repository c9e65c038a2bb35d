"""The privacy team's accounts, managed by a Privacy admin: invite, give a role, reset the
second factor, deactivate and reactivate.

Each change is one function that writes its audit event (no request: ``request`` is empty)
in the same transaction as the change. A person has exactly one of the three roles. No
change may leave the team without an active Privacy admin: the admins' rows are locked
first, so two admins demoting each other at once cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from requests_app.errors import GuardFailed
from requests_app.models import ApiKey, StaffInvitation
from requests_app.notifications.emails import absolute_url, staff_notify
from requests_app.staff.roles import ADMIN, ROLES
from requests_app.workflow.audit import Actor, audit_append

EMAIL_MAX = 150  # the username is the address, and a username holds at most 150 characters
LAST_ADMIN = "There must always be an active Privacy admin: give another person the Privacy admin role first."


def role_of(user: Any) -> str:
    """The person's role ("" for none); the first in ROLES' order if someone gave them two."""
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in ROLES if role in names), "")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lock_admins() -> list[int]:
    """Lock the active Privacy admins' rows for the transaction; their ids."""
    users = get_user_model().objects.select_for_update(of=("self",))
    return list(users.filter(is_active=True, groups__name=ADMIN).order_by("pk").values_list("pk", flat=True))


def _refuse_if_last_admin(user: Any) -> None:
    if _lock_admins() == [user.pk]:
        raise GuardFailed(LAST_ADMIN)


def _role_set(user: Any, role: str) -> None:
    user.groups.remove(*Group.objects.filter(name__in=list(ROLES)))
    user.groups.add(Group.objects.get(name=role))
    # The admin site needs "staff status", and only the Privacy admin works there.
    is_staff = role == ADMIN
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])


def _sessions_end(user: Any) -> int:
    """Sign the person out everywhere: delete each session that is theirs."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def _role_checked(role: str) -> str:
    if role not in ROLES:
        raise GuardFailed(f"Choose one of the roles: {', '.join(ROLES)}")
    return role


def staff_invite(*, email: str, role: str, actor: Actor) -> StaffInvitation:
    """Make an account with no password for ``email`` and email it a link to choose one.

    The link works once, for ``DSAR_STAFF_INVITE_DAYS``. Inviting someone again who has not
    yet accepted gives them a new link and the old one stops working; someone who already
    has a password is not invited.
    """
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email or len(email) > EMAIL_MAX:
        raise GuardFailed(f"Give an email address of at most {EMAIL_MAX} characters")
    _role_checked(role)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        user_model = get_user_model()
        user = user_model.objects.select_for_update().filter(username__iexact=email).first()
        if user is None:
            user = user_model.objects.create_user(username=email, email=email, password=None)
        elif user.has_usable_password():
            raise GuardFailed(f"{email} already has an account: change their role on their page")
        elif not user.is_active:
            raise GuardFailed(f"{email} is deactivated: reactivate them first")
        if role_of(user) == ADMIN and role != ADMIN:
            _refuse_if_last_admin(user)
        _role_set(user, role)
        expires = now + timedelta(days=settings.DSAR_STAFF_INVITE_DAYS)
        again = StaffInvitation.objects.filter(user=user).exists()
        invitation, _ = StaffInvitation.objects.update_or_create(
            user=user,
            defaults={
                "token_hash": _token_hash(token),
                "role": role,
                "created_at": now,
                "expires_at": expires,
                "used_at": None,
                "invited_by": actor.user,
            },
        )
        audit_append(
            actor=actor,
            action="staff.invited",
            data={"user": user.get_username(), "role": role, "expires_at": expires, "again": again},
        )
        staff_notify(
            kind="invitation",
            to=[email],
            context={
                "username": user.get_username(),
                "role": role,
                "invited_by": actor.user.get_username() if actor.user else "",
                "accept_url": absolute_url(reverse("staff_invitation_accept", kwargs={"token": token})),
                "expires_at": expires,
            },
        )
    return invitation


class InvitationRefusal(Enum):
    UNKNOWN = (
        "This invitation link is not valid. It may have been replaced by a newer invitation: use the "
        "link in the latest email, or ask a Privacy admin to invite you again."
    )
    USED = (
        "This invitation link was already used. Sign in with the password you chose; if you did not "
        "use it, tell a Privacy admin."
    )
    EXPIRED = "This invitation link has expired. Ask a Privacy admin to invite you again."
    DEACTIVATED = "This account is deactivated. Ask a Privacy admin if you should have access."


def invitation_for(token: str) -> tuple[StaffInvitation | None, InvitationRefusal | None]:
    """The invitation a link's token opens, or why it does not."""
    invitation = (
        StaffInvitation.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
        if 20 <= len(token) <= 100
        else None
    )
    refusal = _refusal(invitation)
    return (None, refusal) if refusal else (invitation, None)


def _refusal(invitation: StaffInvitation | None) -> InvitationRefusal | None:
    if invitation is None:
        return InvitationRefusal.UNKNOWN
    if invitation.used_at is not None:
        return InvitationRefusal.USED
    if invitation.expires_at <= timezone.now():
        return InvitationRefusal.EXPIRED
    if not invitation.user.is_active:
        return InvitationRefusal.DEACTIVATED
    return None


def staff_invitation_accept(*, token: str, password: str) -> Any:
    """Set the invited person's password (already checked by the validators) and use up the link."""
    with transaction.atomic():
        invitation = (
            StaffInvitation.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        refusal = _refusal(invitation)
        if refusal is not None:
            raise GuardFailed(refusal.value)
        assert invitation is not None  # noqa: S101 - _refusal refused a missing one
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        audit_append(actor=Actor.staff(user), action="staff.invitation_accepted", data={"user": user.get_username()})
    return user


def staff_role_change(*, user: Any, role: str, actor: Actor) -> str:
    """Give the person ``role`` instead of the one they had; returns the old one."""
    _role_checked(role)
    with transaction.atomic():
        old = role_of(user)
        if old == ADMIN and role != ADMIN and user.is_active:
            _refuse_if_last_admin(user)
        if old == role:
            raise GuardFailed(f"{user.get_username()} already has the role {role}")
        _role_set(user, role)
        audit_append(
            actor=actor, action="staff.role_changed", data={"user": user.get_username(), "from": old, "to": role}
        )
    return old


def staff_second_factor_reset(*, user: Any, actor: Actor) -> int:
    """Remove the person's authenticator devices and sign them out; at their next sign-in they
    set one up again. They are told by email. Returns how many devices were removed."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        if not removed:
            raise GuardFailed(f"{user.get_username()} has no second factor set up")
        sessions = _sessions_end(user)
        audit_append(
            actor=actor,
            action="staff.second_factor_reset",
            data={"user": user.get_username(), "devices": removed, "sessions_ended": sessions},
        )
        if user.email:
            staff_notify(
                kind="second_factor_reset",
                to=[user.email],
                context={
                    "username": user.get_username(),
                    "reset_by": actor.user.get_username() if actor.user else "",
                    "login_url": absolute_url(reverse("staff_login")),
                },
            )
    return int(removed)


def staff_deactivate(*, user: Any, actor: Actor) -> list[str]:
    """Stop the person signing in, end their sessions, and revoke the API keys they made.

    Keys are revoked because whoever made a key may still hold a copy of it when they leave;
    an integration that used one needs a new key from someone who stays. Returns the
    prefixes of the revoked keys.
    """
    with transaction.atomic():
        if not user.is_active:
            raise GuardFailed(f"{user.get_username()} is already deactivated")
        if role_of(user) == ADMIN:
            _refuse_if_last_admin(user)
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        sessions = _sessions_end(user)
        now = timezone.now()
        keys = list(ApiKey.objects.select_for_update().filter(created_by=user, revoked_at__isnull=True))
        ApiKey.objects.filter(pk__in=[k.pk for k in keys]).update(revoked_at=now, revoked_by=actor.user)
        for key in keys:
            audit_append(
                actor=actor,
                action="api_key.revoked",
                reason="Its maker was deactivated",
                data={"key": key.prefix, "name": key.name},
            )
        audit_append(
            actor=actor,
            action="staff.deactivated",
            data={"user": user.get_username(), "sessions_ended": sessions, "keys_revoked": [k.prefix for k in keys]},
        )
    return [key.prefix for key in keys]


def staff_reactivate(*, user: Any, actor: Actor) -> None:
    """Let a deactivated person sign in again, with the role they had (their revoked keys stay revoked)."""
    with transaction.atomic():
        if type(user).objects.filter(pk=user.pk, is_active=False).update(is_active=True) != 1:
            raise GuardFailed(f"{user.get_username()} is already active")
        user.is_active = True
        audit_append(actor=actor, action="staff.reactivated", data={"user": user.get_username()})
