from __future__ import annotations

from django.db import migrations


def create_program(apps, schema_editor):
    Program = apps.get_model("engagement", "Program")
    if not Program.objects.exists():
        Program.objects.create(name="Executive customer engagement")


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial")]

    operations = [migrations.RunPython(create_program, migrations.RunPython.noop)]
