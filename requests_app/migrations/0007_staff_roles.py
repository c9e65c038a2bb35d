"""The staff roles as groups, and the permission to act on requests.

A data migration: no model changes. The role definitions are a frozen copy of
``requests_app.staff.roles.ROLES`` as they were when this migration was written (a test
checks they still agree); a later change to the roles comes with a migration of its own.

It needs nothing after 0003. It also runs after 0006_bundles (and so the 0004 and 0005 before
it), written at the same time, only so the migration graph keeps a single leaf.
"""

from fnmatch import fnmatchcase

from django.contrib.auth.management import create_permissions
from django.db import migrations

ACT_CODENAME = "act_on_request"
ACT_NAME = "Can act on data subject requests (verify, ask, approve, reject, extend, assign, note, cancel)"

ROLES = {
    "Privacy admin": ("requests_app.*", "auth.*", "admin.*", "axes.*", "otp_totp.*"),
    "Privacy analyst": ("requests_app.view_*", "requests_app.act_on_request"),
    "Auditor": ("requests_app.view_*", "auth.view_*", "admin.view_*", "axes.view_*"),
}


def create_roles(apps, schema_editor):
    # On a new database the default model permissions are made only after every migration
    # (post_migrate); make them now so the groups can be given them.
    # (create_permissions skips an app without a models module, as historical apps are.)
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    request_type, _ = ContentType.objects.get_or_create(app_label="requests_app", model="datasubjectrequest")
    Permission.objects.get_or_create(content_type=request_type, codename=ACT_CODENAME, defaults={"name": ACT_NAME})
    every = list(Permission.objects.select_related("content_type"))
    for name, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                p
                for p in every
                if any(fnmatchcase(f"{p.content_type.app_label}.{p.codename}", pattern) for pattern in patterns)
            ]
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="requests_app", codename=ACT_CODENAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0006_bundles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
