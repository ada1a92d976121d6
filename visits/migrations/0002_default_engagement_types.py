from __future__ import annotations

from django.db import migrations

# The program's first engagement types; program admins edit them afterwards.
DEFAULT_TYPES = [
    ("on-site-visit", "On-site visit", "Meeting the customer at their premises.", True, 120),
    ("virtual-meeting", "Virtual meeting", "A video call with the customer.", True, 60),
    ("ride-along", "Field ride-along", "A day in the field with a sales or service rep.", True, 240),
    ("service-call-listening", "Listening in on service calls", "Hearing customers call our service desk.", True, 120),
    ("customer-journey", "Customer-journey walkthrough", "Walking through the customer's own process.", True, 180),
    ("executive-briefing", "Executive briefing", "A briefing for the customer's executives.", True, 90),
    ("event", "Event", "A customer or partner event.", True, 180),
    ("mentoring-session", "Mentoring session", "A session of a mentoring or sponsor pairing.", True, 60),
]


def create_types(apps, schema_editor):
    EngagementType = apps.get_model("visits", "EngagementType")
    for position, (slug, name, description, counts, minutes) in enumerate(DEFAULT_TYPES):
        EngagementType.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "counts_toward_cadence": counts,
                "default_duration_minutes": minutes,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
