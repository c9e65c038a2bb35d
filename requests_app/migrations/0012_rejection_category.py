"""Why a request was rejected (for the metrics of 11 CCR § 7102), and a system's owner and
transfers to third countries (for the record of processing activities, GDPR Art. 30(1)).

Requests rejected before this migration had no category: they count as "other", the one
ground that claims nothing about them.
"""

from django.db import migrations, models


def rejected_before_count_as_other(apps, schema_editor):
    request_model = apps.get_model("requests_app", "DataSubjectRequest")
    request_model.objects.filter(state="rejected", rejection_category="").update(rejection_category="other")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0011_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="datasubjectrequest",
            name="rejection_category",
            field=models.CharField(
                blank=True,
                choices=[
                    ("not_verified", "Identity could not be verified"),
                    ("not_a_consumer", "Not made by a consumer (or data subject) of ours"),
                    ("exempt", "The information or action is exempt"),
                    ("other", "Other grounds"),
                ],
                editable=False,
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="system",
            name="owner",
            field=models.EmailField(
                blank=True, help_text="The email address of the person responsible for this system.", max_length=254
            ),
        ),
        migrations.AddField(
            model_name="system",
            name="transfers",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='Transfers to third countries and their safeguards: [{"to": "US", "safeguard": "SCCs"}].',
            ),
        ),
        migrations.AddConstraint(
            model_name="datasubjectrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rejection_category__in", ["", "not_verified", "not_a_consumer", "exempt", "other"])
                ),
                name="dsr_rejection_category_valid",
            ),
        ),
        migrations.RunPython(rejected_before_count_as_other, migrations.RunPython.noop),
    ]
