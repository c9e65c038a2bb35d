"""The permission to see subjects' personal data, held by admins and analysts, not auditors.

A data migration: no model changes. The role definitions are a frozen copy of
``requests_app.staff.roles.ROLES`` as they were when this migration was written (a test
checks they still agree).
"""

from fnmatch import fnmatchcase

from django.db import migrations

PERSONAL_DATA_CODENAME = "see_personal_data"
PERSONAL_DATA_NAME = "Can see subjects' personal data (names, addresses, messages, files and exports)"

ROLES = {
    "Privacy admin": ("requests_app.*", "auth.*", "admin.*", "axes.*", "otp_totp.*"),
    "Privacy analyst": (
        "requests_app.view_*",
        "requests_app.act_on_request",
        "requests_app.see_personal_data",
    ),
    "Auditor": ("requests_app.view_*", "auth.view_*", "admin.view_*", "axes.view_*"),
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    request_type, _ = ContentType.objects.get_or_create(app_label="requests_app", model="datasubjectrequest")
    Permission.objects.get_or_create(
        content_type=request_type, codename=PERSONAL_DATA_CODENAME, defaults={"name": PERSONAL_DATA_NAME}
    )
    every = list(Permission.objects.select_related("content_type"))
    for name, patterns in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.set(
            [
                p
                for p in every
                if any(fnmatchcase(f"{p.content_type.app_label}.{p.codename}", pattern) for pattern in patterns)
            ]
        )


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="requests_app", codename=PERSONAL_DATA_CODENAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0009_outbox_and_rate_counters")]

    operations = [migrations.RunPython(grant, revoke)]
