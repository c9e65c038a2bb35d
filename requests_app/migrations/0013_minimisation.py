"""Record retention by minimisation: a seal key per request, sealed audit text, minimised_at.

The audit table has a trigger that refuses UPDATE and DELETE (0002). Adding a column with a
default is neither: PostgreSQL stores the default once and rewrites no row, so existing
events keep their bytes, and their hashes, which cover ``sealed`` only when it is non-empty.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0012_rejection_category'),
    ]

    operations = [
        migrations.CreateModel(
            name='RequestSealKey',
            fields=[
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='seal_key', serialize=False, to='requests_app.datasubjectrequest')),
                ('key', models.BinaryField(max_length=32)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name='auditevent',
            name='sealed',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.AddField(
            model_name='datasubjectrequest',
            name='minimised_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
