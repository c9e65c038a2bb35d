"""Single sign-on with an OpenID provider: the whole flow against a real provider process.

The provider (tests/oidc_provider.py) runs as a subprocess on a free loopback port; the
Django test client plays the browser on our side, and urllib the browser at the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt, AccessLog  # type: ignore[import-untyped]
from django.contrib.auth.models import User
from django.test import Client

from requests_app.models import OidcIdentity
from requests_app.staff import roles
from tests.staff.oidc_fixtures import OidcProvider, oidc_provider, oidc_settings
from tests.staff.test_permissions import Cast, cast
from tests.staff.test_views import sign_in
from tests.test_settings import _settings_in_subprocess

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["cast", "oidc_provider", "oidc_settings"]  # fixtures used by name

pytestmark = pytest.mark.django_db


def sso_start(client: Client, next_url: str = "") -> str:
    response = client.get("/staff/login/sso/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def sso_callback(client: Client, callback: str) -> Any:
    parts = urlsplit(callback)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", "/staff/login/sso/callback/")
    return client.get(f"{parts.path}?{parts.query}")


def sso_sign_in(client: Client, provider: OidcProvider, next_url: str = "") -> Any:
    return sso_callback(client, provider.follow(sso_start(client, next_url)))


def role_names(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def test_the_login_page_offers_single_sign_on_only_when_an_issuer_is_set(settings: Any) -> None:
    settings.DSAR_OIDC_ISSUER = ""
    page = Client().get("/staff/login/?next=/staff/requests/").content.decode()
    assert "single sign-on" not in page
    assert Client().get("/staff/login/sso/")["Location"] == "/staff/login/"

    settings.DSAR_OIDC_ISSUER = "https://idp.company.example"
    settings.DSAR_OIDC_BUTTON_LABEL = "Sign in with Company SSO"
    page = Client().get("/staff/login/?next=/staff/requests/").content.decode()
    assert '<a class="button secondary" href="/staff/login/sso/?next=%2Fstaff%2Frequests%2F">' in page
    assert "Sign in with Company SSO" in page


def test_a_person_in_a_mapped_group_signs_in_with_that_role_and_no_totp_step(
    cast: Cast, oidc_settings: OidcProvider, settings: Any
) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    oidc_settings.control(user="erin")
    client = Client()

    authorize = sso_start(client, next_url="/staff/requests/")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{oidc_settings.issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == ["dsar-staff"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    key_before = client.session.session_key
    response = sso_callback(client, oidc_settings.follow(authorize))

    assert response.status_code == 302
    assert response["Location"] == "/staff/requests/"
    assert signed_in_as(client) == "erin"
    assert client.session.session_key != key_before  # a new session key at sign-in
    erin = User.objects.get(username="erin")
    assert (erin.email, erin.first_name, erin.last_name, erin.is_staff) == (
        "erin@company.example",
        "Erin",
        "Okafor",
        False,
    )
    assert not erin.has_usable_password()
    assert role_names("erin") == {roles.ANALYST}
    assert OidcIdentity.objects.get(user=erin).subject == "00u-erin-1"
    # The provider gave the second factor: the staff pages open without a TOTP code.
    assert client.get("/staff/requests/").status_code == 200
    # On the access log, as a password login is.
    assert AccessLog.objects.filter(username="erin").count() == 1


def test_the_role_follows_the_provider_at_every_sign_in(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="erin")
    assert sso_sign_in(Client(), oidc_settings).status_code == 302
    assert role_names("erin") == {roles.ANALYST}

    oidc_settings.set_groups("erin", ["dsar-admins"])
    assert sso_sign_in(Client(), oidc_settings).status_code == 302
    assert role_names("erin") == {roles.ADMIN}
    assert User.objects.get(username="erin").is_staff
    assert User.objects.filter(username="erin").count() == 1

    oidc_settings.set_groups("erin", ["everyone"])
    session_from_before = Client()
    session_from_before.force_login(User.objects.get(username="erin"))
    response = sso_sign_in(Client(), oidc_settings)
    assert response.status_code == 403
    assert "no role in the privacy team" in response.content.decode()
    # The role removed at the provider is removed here, for the sessions already open too.
    assert role_names("erin") == set()
    assert not User.objects.get(username="erin").is_staff
    assert session_from_before.get("/staff/requests/").status_code == 403


def test_a_person_in_no_mapped_group_is_refused_and_nothing_is_created(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="frank")
    client = Client()

    response = sso_sign_in(client, oidc_settings)

    assert response.status_code == 403
    assert "Sign-in did not go through" in response.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.filter(username="frank").exists()
    assert not OidcIdentity.objects.exists()
    # With the failed logins, under a name no password login uses, the code masked.
    attempt = AccessAttempt.objects.get(username="sso:frank:no_role")
    assert "code=********" in attempt.get_data


def test_a_local_account_of_the_same_name_is_not_taken_over(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="bob")

    response = sso_sign_in(Client(), oidc_settings)

    assert response.status_code == 403
    assert "An account named bob exists here and is not linked" in response.content.decode()
    assert role_names("bob") == {roles.ANALYST}
    assert not OidcIdentity.objects.exists()


def test_a_linked_local_account_signs_in_through_the_provider(cast: Cast, oidc_settings: OidcProvider) -> None:
    OidcIdentity.objects.create(user=cast.bob, issuer=oidc_settings.issuer, subject="00u-bob-3")
    oidc_settings.control(user="bob")
    client = Client()

    assert sso_sign_in(client, oidc_settings).status_code == 302
    assert signed_in_as(client) == "bob"
    assert role_names("bob") == {roles.ADMIN}
    # The provider did not say the address is verified: the one we had stays.
    assert User.objects.get(username="bob").email == cast.bob.email


def test_a_deactivated_account_is_refused(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="erin")
    sso_sign_in(Client(), oidc_settings)
    User.objects.filter(username="erin").update(is_active=False)
    client = Client()

    response = sso_sign_in(client, oidc_settings)

    assert response.status_code == 403
    assert "deactivated" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_callback_this_browser_did_not_start_is_refused(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="erin")
    client = Client()
    callback = oidc_settings.follow(sso_start(client))
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    tampered = sso_callback(client, parts._replace(query=urlencode({**query, "state": "x" + query["state"]})).geturl())
    other_browser = sso_callback(Client(), callback)

    for response in (tampered, other_browser):
        assert response.status_code == 400
        assert "not the one this browser started" in response.content.decode()
    assert not User.objects.filter(username="erin").exists()


def test_a_callback_used_once_cannot_be_used_again(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="erin")
    client = Client()
    callback = oidc_settings.follow(sso_start(client))
    assert sso_callback(client, callback).status_code == 302
    client.post("/staff/logout/")

    again = sso_callback(client, callback)

    assert again.status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize("mode", ["bad-signature", "tampered", "expired", "wrong-audience", "wrong-issuer"])
def test_an_id_token_that_does_not_verify_is_refused(cast: Cast, oidc_settings: OidcProvider, mode: str) -> None:
    oidc_settings.control(user="erin", mode=mode)
    client = Client()

    response = sso_sign_in(client, oidc_settings)

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.filter(username__startswith="erin").exists()
    assert AccessAttempt.objects.filter(username="sso:unknown:token_invalid").exists()


def test_an_id_token_with_the_nonce_of_an_earlier_sign_in_is_refused(cast: Cast, oidc_settings: OidcProvider) -> None:
    oidc_settings.control(user="erin")
    assert sso_sign_in(Client(), oidc_settings).status_code == 302
    oidc_settings.control(user="erin", mode="replay-nonce")
    client = Client()

    response = sso_sign_in(client, oidc_settings)

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_unreachable_provider_is_a_clear_page(cast: Cast, settings: Any) -> None:
    settings.DSAR_OIDC_ISSUER = "http://127.0.0.1:9"  # the discard port: nothing listens
    settings.DSAR_OIDC_CLIENT_ID = "dsar-staff"
    settings.DSAR_OIDC_CLIENT_SECRET = "secret"

    response = Client().get("/staff/login/sso/")

    assert response.status_code == 400
    assert "could not be reached" in response.content.decode()


def test_the_password_login_still_works_beside_single_sign_on(cast: Cast, oidc_settings: OidcProvider) -> None:
    client = Client()

    response = sign_in(client, "bob", next_url="/staff/requests/")

    assert response.status_code == 302
    assert signed_in_as(client) == "bob"


def test_the_role_names_the_settings_accept_are_the_roles() -> None:
    from dsar import settings as settings_module

    assert set(settings_module._STAFF_ROLES) == set(roles.ROLES)


def test_the_settings_refuse_a_plain_http_issuer_in_production_and_an_unknown_role(tmp_path: Path) -> None:
    result = _settings_in_subprocess(
        {
            "DSAR_ENV": "production",
            "DSAR_OIDC_ISSUER": "http://idp.company.example",
            "DSAR_OIDC_ROLE_MAP": "dsar-admins=Privacy admin,dsar-bosses=Boss",
        },
        tmp_path,
    )

    assert result.returncode != 0
    assert "DSAR_OIDC_ISSUER must be https when DSAR_ENV=production" in result.stderr
    assert "DSAR_OIDC_ROLE_MAP items must look like group=role" in result.stderr
    assert "DSAR_OIDC_CLIENT_ID must be set" in result.stderr
    assert "DSAR_OIDC_CLIENT_SECRET (or DSAR_OIDC_CLIENT_SECRET_FILE) must be set" in result.stderr


def test_the_client_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "oidc-secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    result = _settings_in_subprocess(
        {
            "DSAR_OIDC_ISSUER": "http://127.0.0.1:8081",
            "DSAR_OIDC_CLIENT_ID": "dsar",
            "DSAR_OIDC_CLIENT_SECRET_FILE": str(secret),
            "DSAR_OIDC_ROLE_MAP": "dsar-admins=Privacy admin",
        },
        tmp_path,
        "settings.DSAR_OIDC_CLIENT_SECRET + ' ' + repr(settings.DSAR_OIDC_ROLE_MAP)",
    )

    assert result.returncode == 0, result.stderr
    assert "from-a-file {'dsar-admins': 'Privacy admin'}" in result.stdout


def test_a_single_sign_on_session_owes_the_totp_code_once_the_issuer_is_another(
    cast: Cast, oidc_settings: OidcProvider, settings: Any
) -> None:
    settings.DSAR_STAFF_REQUIRE_2FA = True
    oidc_settings.control(user="erin")
    client = Client()
    assert sso_sign_in(client, oidc_settings, next_url="/staff/requests/").status_code == 302
    assert client.get("/staff/requests/").status_code == 200

    settings.DSAR_OIDC_ISSUER = "https://another-idp.company.example"

    assert client.get("/staff/requests/")["Location"].startswith("/staff/login/verify/")
