"""Each request stores the version of its law's rule; California's code becomes ``us-ca``.

The versions are the rule pack's first editions, written out here rather than read from the
pack, so that this migration means the same thing whatever the pack later holds.
"""

from django.db import migrations, models

import requests_app.laws.registry

FIRST_EDITIONS = {
    "gdpr": "2018-05-25",
    "us-ca": "2023-03-29",
    "lgpd": "2020-09-18",
    "pipeda": "2001-01-01",
    "default": "settings",
}


def forwards(apps, schema_editor):
    request_model = apps.get_model("requests_app", "DataSubjectRequest")
    request_model.objects.filter(jurisdiction="ccpa").update(jurisdiction="us-ca")
    for code, version in FIRST_EDITIONS.items():
        request_model.objects.filter(jurisdiction=code, rule_version="").update(rule_version=version)


def backwards(apps, schema_editor):
    request_model = apps.get_model("requests_app", "DataSubjectRequest")
    request_model.objects.filter(jurisdiction="us-ca").update(jurisdiction="ccpa")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0018_webhooks")]

    operations = [
        migrations.AddField(
            model_name="datasubjectrequest",
            name="rule_version",
            field=models.CharField(default="", editable=False, max_length=32),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="datasubjectrequest",
            name="jurisdiction",
            field=models.CharField(choices=requests_app.laws.registry.jurisdiction_choices, max_length=16),
        ),
        migrations.RunPython(forwards, backwards),
    ]
