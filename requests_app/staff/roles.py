"""The staff roles: Django groups and the permissions each one holds.

Permissions are named ``app_label.codename`` patterns (``*`` matches any codename), so a
role keeps covering the models an app gains later when ``roles_sync`` runs again. The latest
roles migration (0010_personal_data_permission) holds a frozen copy of these definitions; a
test checks the two agree.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from django.apps import apps as global_apps

if TYPE_CHECKING:
    from django.apps.registry import Apps

ADMIN = "Privacy admin"
ANALYST = "Privacy analyst"
AUDITOR = "Auditor"

# The permissions that are not model defaults: doing anything to a request, and seeing a
# subject's personal data (their name, addresses and messages, the files they sent, the
# result exported for them). Not "view_...": the auditor's "view_*" must not match it.
ACT_CODENAME = "act_on_request"
ACT_NAME = "Can act on data subject requests (verify, ask, approve, reject, extend, assign, note, cancel)"
PERSONAL_DATA_CODENAME = "see_personal_data"
PERSONAL_DATA_NAME = "Can see subjects' personal data (names, addresses, messages, files and exports)"
CUSTOM_PERMISSIONS = {ACT_CODENAME: ACT_NAME, PERSONAL_DATA_CODENAME: PERSONAL_DATA_NAME}

ROLES: dict[str, tuple[str, ...]] = {
    # Everything, including the admin site (which also needs the user's "staff status").
    ADMIN: ("requests_app.*", "auth.*", "admin.*", "axes.*", "otp_totp.*"),
    # Works requests: sees them and their subjects, and acts on them.
    ANALYST: ("requests_app.view_*", f"requests_app.{ACT_CODENAME}", f"requests_app.{PERSONAL_DATA_CODENAME}"),
    # Sees what was done and when (the requests' metadata and the audit trail), changes
    # nothing, and never sees a subject's personal data. Not the TOTP devices: their admin
    # pages show the secret keys.
    AUDITOR: ("requests_app.view_*", "auth.view_*", "admin.view_*", "axes.view_*"),
}


def permission_matches(app_label: str, codename: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(f"{app_label}.{codename}", pattern) for pattern in patterns)


def roles_sync(apps: Apps = global_apps) -> None:
    """Create the act permission and the groups, and give each group its permissions.

    Idempotent. Takes an app registry so a migration can run it on historical models; it
    needs the default model permissions to exist already (post_migrate makes them).
    """
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    group_model = apps.get_model("auth", "Group")
    request_type, _ = content_type_model.objects.get_or_create(app_label="requests_app", model="datasubjectrequest")
    for codename, name in CUSTOM_PERMISSIONS.items():
        permission_model.objects.get_or_create(content_type=request_type, codename=codename, defaults={"name": name})
    every = list(permission_model.objects.select_related("content_type"))
    for name, patterns in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set([p for p in every if permission_matches(p.content_type.app_label, p.codename, patterns)])
