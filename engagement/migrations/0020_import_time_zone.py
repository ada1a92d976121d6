"""Imports read times without an offset in a time zone the person importing chooses, the site's by default. Files
uploaded before keep being read as they were checked: in each lead executive's own zone (an empty value)."""

from django.db import migrations, models

import engagement.imports.models

HELP = "Where times without an offset from UTC are read; empty: in each lead executive's own zone."


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0019_account_contact_periods"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="time_zone",
            field=models.CharField(blank=True, default="", help_text=HELP, max_length=64),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="time_zone",
            field=models.CharField(
                blank=True, default=engagement.imports.models.site_time_zone, help_text=HELP, max_length=64
            ),
        ),
    ]
