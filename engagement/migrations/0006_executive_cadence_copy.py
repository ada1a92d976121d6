from decimal import Decimal

from django.db import migrations, models


def copy_cadences(apps, schema_editor):
    """Each executive's cadence as ``selectors.executive_cadences`` gives it:
    the override, else the strictest active program, else the first active
    program; warnings, escalation and target from that program."""
    Program = apps.get_model("engagement", "Program")
    Executive = apps.get_model("engagement", "Executive")
    programs = {program.pk: program for program in Program.objects.filter(active=True)}
    default = min(programs.values(), key=lambda program: program.pk, default=None) or Program(
        cadence_days=42, warning_days=7, escalation_days=14, exposure_hours_target=Decimal("2.0")
    )
    memberships = {}
    for executive_id, program_id in Executive.programs.through.objects.values_list("executive_id", "program_id"):
        if program_id in programs:
            memberships.setdefault(executive_id, []).append(programs[program_id])
    executives = list(Executive.objects.only("pk", "cadence_override_days"))
    for executive in executives:
        program = min(memberships.get(executive.pk, []), key=lambda p: p.cadence_days, default=default)
        executive.cadence_days = executive.cadence_override_days or program.cadence_days
        executive.warning_days = program.warning_days
        executive.escalation_days = program.escalation_days
        executive.exposure_target_minutes = int(Decimal(program.exposure_hours_target) * 60)
    Executive.objects.bulk_update(
        executives, ["cadence_days", "warning_days", "escalation_days", "exposure_target_minutes"], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0005_surveys_and_feedback_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="executive",
            name="cadence_days",
            field=models.PositiveSmallIntegerField(default=42, editable=False),
        ),
        migrations.AddField(
            model_name="executive",
            name="warning_days",
            field=models.PositiveSmallIntegerField(default=7, editable=False),
        ),
        migrations.AddField(
            model_name="executive",
            name="escalation_days",
            field=models.PositiveSmallIntegerField(default=14, editable=False),
        ),
        migrations.AddField(
            model_name="executive",
            name="exposure_target_minutes",
            field=models.PositiveIntegerField(default=120, editable=False),
        ),
        migrations.RunPython(copy_cadences, migrations.RunPython.noop),
    ]
