"""Whether an engagement owes a debrief.

A contact logged from now on owes one only when whoever logged it says they
will add one. Engagements already there keep what they did before: every
held engagement, logged ones included, owed a debrief, and people may be in
the middle of writing one (a draft, a reminder on its way). So every existing
row is given True, the field's default, rather than False for the logged
ones: no debrief already asked for silently stops being asked for, and the
question fades on its own, as debriefs are only reminded of for a month and
listed for two.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0009_engagement_logged"),
    ]

    operations = [
        migrations.AddField(
            model_name="engagement",
            name="debrief_wanted",
            field=models.BooleanField(
                default=True,
                help_text="Whether a debrief is owed once it is held: a requested meeting always asks for one, a "
                "logged contact only when whoever logged it said they would add one.",
            ),
        ),
    ]
