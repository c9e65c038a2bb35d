from django.db import migrations, models

import requests_app.models.requests


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0021_message_reads")]

    operations = [
        migrations.AddField(
            model_name="datasubjectrequest",
            name="language",
            field=models.CharField(
                default=requests_app.models.requests.default_language,
                help_text="The language the requester is answered in (one of settings.LANGUAGES).",
                max_length=8,
            ),
        ),
    ]
