from django.db import migrations, models

# The default types' directness, by slug. Unfiltered: the executive meets
# customers in their own work. Filtered: a prepared occasion.
#
# A mentoring session is unfiltered: it is a one-to-one conversation between
# the executive and the customer's own person, with no deck, briefing team or
# audience between them, which is what a one-to-one visit is too. Program
# admins who run their pairings as prepared reviews can switch it in the admin.
FILTERED_SLUGS = ["executive-briefing", "event"]
UNFILTERED_SLUGS = [
    "on-site-visit",
    "virtual-meeting",
    "ride-along",
    "service-call-listening",
    "customer-journey",
    "mentoring-session",
]


def set_directness(apps, schema_editor):
    EngagementType = apps.get_model("visits", "EngagementType")
    Engagement = apps.get_model("visits", "Engagement")
    ExecutiveContact = apps.get_model("engagement", "ExecutiveContact")
    EngagementType.objects.filter(slug__in=FILTERED_SLUGS).update(directness="filtered")
    EngagementType.objects.filter(slug__in=UNFILTERED_SLUGS).update(directness="unfiltered")
    # The contacts already recorded take their engagement's type's directness.
    filtered = Engagement.objects.filter(type__directness="filtered").values("pk")
    ExecutiveContact.objects.filter(engagement_id__in=filtered).update(unfiltered=False)


def clear_directness(apps, schema_editor):
    ExecutiveContact = apps.get_model("engagement", "ExecutiveContact")
    ExecutiveContact.objects.filter(unfiltered=False).update(unfiltered=True)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0012_calendar_capture"),
        ("engagement", "0025_executive_contact_unfiltered"),
    ]

    operations = [
        migrations.AddField(
            model_name="engagementtype",
            name="directness",
            field=models.CharField(
                choices=[("unfiltered", "Unfiltered"), ("filtered", "Filtered")],
                default="unfiltered",
                help_text=(
                    "Unfiltered: the executive meets customers in their own work, as it happens (a one-to-one "
                    "visit, a ride-along with a sales or service rep, listening in on service calls, walking the "
                    "customer's own process). Filtered: a prepared occasion (an executive briefing, a "
                    "presentation, an event). The program shows each executive's share of unfiltered hours."
                ),
                max_length=20,
            ),
        ),
        migrations.RunPython(set_directness, clear_directness),
    ]
