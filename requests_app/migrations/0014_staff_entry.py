"""Requests staff enter: how each reached us (phone, letter, in person), and the files that
came with it (a scanned letter), encrypted at rest like a store task's evidence.

Requests already recorded came by the other channels: their ``received_via`` is empty.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0013_minimisation'),
    ]

    operations = [
        migrations.CreateModel(
            name='RequestAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('filename', models.CharField(max_length=200)),
                ('content_type', models.CharField(blank=True, max_length=200)),
                ('size', models.PositiveBigIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('file', models.FileField(blank=True, max_length=200, upload_to='request-attachments/')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='datasubjectrequest',
            name='received_via',
            field=models.CharField(blank=True, choices=[('phone', 'Phone call'), ('letter', 'Letter'), ('in_person', 'In person'), ('other', 'Other')], help_text='For a request staff entered: how it reached us (phone, letter, in person).', max_length=12),
        ),
        migrations.AddConstraint(
            model_name='datasubjectrequest',
            constraint=models.CheckConstraint(condition=models.Q(('received_via__in', ['', 'phone', 'letter', 'in_person', 'other'])), name='dsr_received_via_valid'),
        ),
        migrations.AddField(
            model_name='requestattachment',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='requests_app.datasubjectrequest'),
        ),
    ]
