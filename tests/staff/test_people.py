"""Staff administration in the staff UI: a Privacy admin invites people, gives roles, resets
a second factor and deactivates; nobody else may, and the team always keeps an admin."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

# django-otp ships no type information.
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from requests_app.errors import GuardFailed
from requests_app.models import ApiKey, AuditEvent, EmailMessage, StaffInvitation
from requests_app.notifications.emails import email_send
from requests_app.services.api_keys import api_key_create
from requests_app.staff import people, roles
from requests_app.workflow.audit import Actor
from tests.factories import UserFactory
from tests.staff.test_permissions import FAST_HASHERS, ROLES, Cast, client_for, make_cast
from tests.staff.test_views import sign_in, token_for

NEW_PASSWORD = "a long and unusual passphrase 71"


@pytest.fixture
def cast(db: None, settings: Any) -> Cast:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DSAR_PUBLIC_BASE_URL = "https://privacy.example.com"
    return make_cast()


@pytest.fixture
def alice(cast: Cast) -> Client:
    return client_for(cast.alice)


def sent_to(address: str) -> Any:
    """Send the queued emails (as the worker would) and return the last one to ``address``."""
    for pk in EmailMessage.objects.filter(status="queued").values_list("pk", flat=True):
        email_send(pk)
    return [m for m in mail.outbox if address in m.to][-1]


def link_in(message: Any) -> str:
    match = re.search(r"https://privacy\.example\.com(/staff/invitation/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def invite(client: Client, email: str, role: str = roles.ANALYST) -> Any:
    return client.post("/staff/people/invite/", {"email": email, "role": role})


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()  # type: ignore[return-value]


# --- Who may ---------------------------------------------------------------------------------

PAGE_STATUS = {"alice": 200, "bob": 403, "carol": 403, "dave": 403, "anonymous": 302}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("page", ["/staff/people/", "/staff/people/invite/", "/staff/people/{pk}/"])
def test_only_a_privacy_admin_sees_the_people_pages(cast: Cast, who: str, page: str) -> None:
    response = client_for(cast.by_name(who)).get(page.format(pk=cast.bob.pk))
    assert response.status_code == PAGE_STATUS[who]
    if response.status_code == 403:
        assert cast.bob.email not in response.content.decode()


@pytest.mark.parametrize("who", ["bob", "carol", "dave", "anonymous"])
@pytest.mark.parametrize(
    ("action", "data"),
    [("role", {"role": roles.ADMIN}), ("reset-second-factor", {}), ("deactivate", {}), ("reactivate", {})],
)
def test_nobody_but_a_privacy_admin_changes_anyone(cast: Cast, who: str, action: str, data: dict[str, str]) -> None:
    TOTPDevice.objects.create(user=cast.carol, name="phone", confirmed=True)
    response = client_for(cast.by_name(who)).post(f"/staff/people/{cast.carol.pk}/{action}/", data)
    assert response.status_code == (302 if who == "anonymous" else 403)
    cast.carol.refresh_from_db()
    assert cast.carol.is_active
    assert people.role_of(cast.carol) == roles.AUDITOR
    assert TOTPDevice.objects.filter(user=cast.carol).exists()
    assert not AuditEvent.objects.filter(action__startswith="staff.").exists()


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_nobody_but_a_privacy_admin_invites(cast: Cast, who: str) -> None:
    assert invite(client_for(cast.by_name(who)), "eve@example.com").status_code == 403
    assert not User.objects.filter(username="eve@example.com").exists()
    assert not EmailMessage.objects.exists()


def test_the_navigation_links_the_people_page_for_admins_only(cast: Cast) -> None:
    assert 'href="/staff/people/"' in client_for(cast.alice).get("/staff/").content.decode()
    assert 'href="/staff/people/"' not in client_for(cast.bob).get("/staff/").content.decode()


# --- Inviting ----------------------------------------------------------------------------------


def test_an_invited_person_sets_a_password_then_a_second_factor_and_is_in(
    cast: Cast, alice: Client, settings: Any
) -> None:
    response = invite(alice, "  Eve@Example.com ")
    eve = User.objects.get(username="eve@example.com")
    assert response["Location"] == f"/staff/people/{eve.pk}/"
    assert not eve.has_usable_password()
    assert people.role_of(eve) == roles.ANALYST
    event = last_event("staff.invited")
    assert event.actor == "staff:alice"
    assert event.data["user"] == "eve@example.com"
    assert event.data["role"] == roles.ANALYST

    message = sent_to("eve@example.com")
    assert "alice invited you" in message.body
    assert "Your username is eve@example.com" in message.body
    link = link_in(message)
    settings.DSAR_STAFF_REQUIRE_2FA = True
    guest = Client()
    page = guest.get(link)
    assert page.status_code == 200
    assert "Choose your password" in page.content.decode()

    weak = guest.post(link, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400
    assert "This password is too short" in weak.content.decode()
    eve.refresh_from_db()
    assert not eve.has_usable_password()

    done = guest.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/staff/login/two-factor/?next=%2Fstaff%2F"
    eve.refresh_from_db()
    assert eve.check_password(NEW_PASSWORD)
    assert last_event("staff.invitation_accepted").actor == "staff:eve@example.com"
    # The password alone opens nothing: the second factor is set up first.
    assert guest.get("/staff/requests/")["Location"].startswith("/staff/login/verify/")
    guest.get(done["Location"])
    device = TOTPDevice.objects.get(user=eve, confirmed=False)
    # An analyst's landing page is My work.
    assert guest.post("/staff/login/two-factor/", {"token": token_for(device), "next": "/staff/"})["Location"] == (
        "/staff/my-work/"
    )
    assert guest.get("/staff/requests/").status_code == 200

    again = Client().get(link)
    assert again.status_code == 410
    assert "already used" in again.content.decode()


def test_an_expired_invitation_link_refuses_and_sets_nothing(cast: Cast, alice: Client) -> None:
    invite(alice, "eve@example.com")
    link = link_in(sent_to("eve@example.com"))
    StaffInvitation.objects.filter(user__username="eve@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = Client().get(link)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    posted = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert posted.status_code == 410
    assert not User.objects.get(username="eve@example.com").has_usable_password()


def test_the_link_expires_after_the_configured_days(cast: Cast, alice: Client, settings: Any) -> None:
    settings.DSAR_STAFF_INVITE_DAYS = 5
    before = timezone.now()
    invite(alice, "eve@example.com")
    invitation = StaffInvitation.objects.get(user__username="eve@example.com")
    assert before + timedelta(days=5) <= invitation.expires_at <= timezone.now() + timedelta(days=5)


def test_inviting_again_replaces_the_old_link(cast: Cast, alice: Client) -> None:
    invite(alice, "eve@example.com")
    old = link_in(sent_to("eve@example.com"))
    invite(alice, "eve@example.com", roles.AUDITOR)
    new = link_in(sent_to("eve@example.com"))
    assert old != new
    refused = Client().get(old)
    assert refused.status_code == 404
    assert "replaced by a newer invitation" in refused.content.decode()
    assert Client().get(new).status_code == 200
    eve = User.objects.get(username="eve@example.com")
    assert people.role_of(eve) == roles.AUDITOR
    assert last_event("staff.invited").data["again"] is True


def test_a_made_up_invitation_link_refuses(cast: Cast) -> None:
    for token in ["x", "a" * 43, "%00" * 10, "é" * 30]:
        response = Client().get(f"/staff/invitation/{token}/")
        assert response.status_code == 404
        assert "not valid" in response.content.decode()


def test_someone_with_an_account_is_not_invited_again(cast: Cast, alice: Client) -> None:
    UserFactory.create(username="frank@example.com")
    refused = invite(alice, "FRANK@example.com")
    assert refused.status_code == 400
    assert "already has an account" in refused.content.decode()
    assert not EmailMessage.objects.filter(to_addresses=["frank@example.com"]).exists()


@pytest.mark.parametrize(
    ("email", "role"),
    [("not an address", roles.ANALYST), ("a" * 140 + "@example.com", roles.ANALYST), ("eve@example.com", "Root")],
)
def test_a_bad_invitation_is_a_clear_error_and_invites_nobody(cast: Cast, alice: Client, email: str, role: str) -> None:
    response = invite(alice, email, role)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not StaffInvitation.objects.exists()


def test_a_deactivated_persons_invitation_link_refuses(cast: Cast, alice: Client) -> None:
    invite(alice, "eve@example.com")
    link = link_in(sent_to("eve@example.com"))
    eve = User.objects.get(username="eve@example.com")
    alice.post(f"/staff/people/{eve.pk}/deactivate/")
    response = Client().get(link)
    assert response.status_code == 410
    assert "deactivated" in response.content.decode()


# --- Roles and the last admin ------------------------------------------------------------------


def test_an_admin_changes_a_persons_role_to_exactly_one(cast: Cast, alice: Client) -> None:
    response = alice.post(f"/staff/people/{cast.bob.pk}/role/", {"role": roles.AUDITOR})
    assert response.status_code == 302
    names = set(cast.bob.groups.values_list("name", flat=True))
    assert names == {roles.AUDITOR}
    event = last_event("staff.role_changed")
    assert event.data == {"user": "bob", "from": roles.ANALYST, "to": roles.AUDITOR}
    # Permissions follow at once: the auditor no longer sees the triage page.
    assert client_for(User.objects.get(pk=cast.bob.pk)).get("/staff/triage/").status_code == 403


def test_a_role_that_is_not_one_of_the_three_is_refused(cast: Cast, alice: Client) -> None:
    for role in ["", "Superuser", roles.ADMIN + " "]:
        response = alice.post(f"/staff/people/{cast.bob.pk}/role/", {"role": role})
        assert response.status_code == 400
    assert people.role_of(cast.bob) == roles.ANALYST


def test_an_unknown_action_is_not_found(cast: Cast, alice: Client) -> None:
    assert alice.post(f"/staff/people/{cast.bob.pk}/delete/").status_code == 404
    assert alice.post("/staff/people/999999/deactivate/").status_code == 404


def test_the_last_active_admin_can_neither_demote_nor_deactivate_themselves(cast: Cast, alice: Client) -> None:
    demote = alice.post(f"/staff/people/{cast.alice.pk}/role/", {"role": roles.ANALYST}, follow=True)
    assert "There must always be an active Privacy admin" in demote.content.decode()
    deactivate = alice.post(f"/staff/people/{cast.alice.pk}/deactivate/", follow=True)
    assert "There must always be an active Privacy admin" in deactivate.content.decode()
    cast.alice.refresh_from_db()
    assert cast.alice.is_active
    assert people.role_of(cast.alice) == roles.ADMIN
    assert not AuditEvent.objects.filter(action__in=["staff.role_changed", "staff.deactivated"]).exists()


def test_with_a_second_admin_an_admin_may_step_down(cast: Cast, alice: Client) -> None:
    alice.post(f"/staff/people/{cast.bob.pk}/role/", {"role": roles.ADMIN})
    response = alice.post(f"/staff/people/{cast.alice.pk}/role/", {"role": roles.ANALYST})
    assert response["Location"] == "/staff/"
    assert people.role_of(cast.alice) == roles.ANALYST
    # Now bob is the last: nobody can remove him.
    with pytest.raises(GuardFailed, match="always be an active Privacy admin"):
        people.staff_deactivate(user=cast.bob, actor=Actor.staff(cast.bob))


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(cast: Cast, alice: Client) -> None:
    alice.post(f"/staff/people/{cast.bob.pk}/role/", {"role": roles.ADMIN})
    alice.post(f"/staff/people/{cast.bob.pk}/deactivate/")
    refused = alice.post(f"/staff/people/{cast.alice.pk}/deactivate/", follow=True)
    assert "There must always be an active Privacy admin" in refused.content.decode()


# --- Second factor, deactivation -------------------------------------------------------------


def test_resetting_a_second_factor_signs_them_out_and_asks_them_to_set_it_up_again(
    cast: Cast, alice: Client, settings: Any
) -> None:
    TOTPDevice.objects.create(user=cast.bob, name="phone", confirmed=True)
    bob = client_for(cast.bob)
    assert bob.get("/staff/").status_code == 200

    response = alice.post(f"/staff/people/{cast.bob.pk}/reset-second-factor/", follow=True)

    assert "authenticator app is removed" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.bob).exists()
    assert bob.get("/staff/")["Location"] == "/staff/login/?next=/staff/"
    event = last_event("staff.second_factor_reset")
    assert event.data == {"user": "bob", "devices": 1, "sessions_ended": 1}
    told = sent_to(cast.bob.email)
    assert "removed the authenticator app" in told.body
    settings.DSAR_STAFF_REQUIRE_2FA = True
    fresh = Client()
    signed_in = sign_in(fresh, "bob")
    assert fresh.get(signed_in["Location"])["Location"].startswith("/staff/login/two-factor/")


def test_resetting_when_there_is_no_second_factor_says_so(cast: Cast, alice: Client) -> None:
    response = alice.post(f"/staff/people/{cast.bob.pk}/reset-second-factor/", follow=True)
    assert "has no second factor set up" in response.content.decode()
    assert not EmailMessage.objects.exists()


def test_a_deactivated_person_is_signed_out_cannot_sign_in_and_their_keys_stop(cast: Cast, alice: Client) -> None:
    bob = client_for(cast.bob)
    key, _ = api_key_create(
        name="CRM", scopes=["requests:read"], days=30, actor=Actor.staff(cast.bob), created_by=cast.bob
    )
    other, _ = api_key_create(
        name="Shop", scopes=["requests:read"], days=30, actor=Actor.staff(cast.alice), created_by=cast.alice
    )

    response = alice.post(f"/staff/people/{cast.bob.pk}/deactivate/", follow=True)

    assert f"Their API keys are revoked: {key.prefix}" in response.content.decode()
    cast.bob.refresh_from_db()
    assert not cast.bob.is_active
    assert bob.get("/staff/")["Location"] == "/staff/login/?next=/staff/"
    refused = sign_in(Client(), "bob")
    assert refused.status_code == 400
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=other.pk).revoked_at is None
    event = last_event("staff.deactivated")
    assert event.data == {"user": "bob", "sessions_ended": 1, "keys_revoked": [key.prefix]}
    assert last_event("api_key.revoked").data["key"] == key.prefix

    alice.post(f"/staff/people/{cast.bob.pk}/reactivate/")
    assert sign_in(Client(), "bob").status_code == 302
    assert last_event("staff.reactivated").data == {"user": "bob"}
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_deactivating_twice_or_reactivating_an_active_person_changes_nothing(cast: Cast, alice: Client) -> None:
    assert "already active" in alice.post(f"/staff/people/{cast.bob.pk}/reactivate/", follow=True).content.decode()
    alice.post(f"/staff/people/{cast.bob.pk}/deactivate/")
    again = alice.post(f"/staff/people/{cast.bob.pk}/deactivate/", follow=True)
    assert "already deactivated" in again.content.decode()
    assert AuditEvent.objects.filter(action="staff.deactivated").count() == 1


def test_the_people_page_lists_everyone_with_their_role_and_state(cast: Cast, alice: Client) -> None:
    invite(alice, "eve@example.com")
    body = alice.get("/staff/people/").content.decode()
    for name in ["alice", "bob", "carol", "dave", "eve@example.com"]:
        assert name in body
    assert "Invited, link works until" in body
    assert roles.AUDITOR in body


def test_a_superuser_without_a_role_is_called_a_superuser_not_roleless(cast: Cast, alice: Client) -> None:
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x" * 16)
    listing = alice.get("/staff/people/").content.decode()
    row = listing[listing.index(">root<") : listing.index("</tr>", listing.index(">root<"))]
    assert "Superuser" in row and "No role" not in row
    page = alice.get(f"/staff/people/{root.pk}/").content.decode()
    assert "Superuser: every permission, whatever the role" in page
