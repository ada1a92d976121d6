from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_last_contacts(apps, schema_editor):
    """Each account's last executive contact, and the latest by anyone but the
    executive who met it last, as ``services.account_last_contact_refresh``
    computes them: one UPDATE of every account."""
    Account = apps.get_model("engagement", "Account")
    ExecutiveContact = apps.get_model("engagement", "ExecutiveContact")
    contacts = ExecutiveContact.objects.filter(account=OuterRef("pk")).order_by("-contact_on", "-pk")
    last_executive = (
        ExecutiveContact.objects.filter(account=OuterRef(OuterRef("pk")))
        .order_by("-contact_on", "-pk")
        .values("executive_id")[:1]
    )
    others = contacts.exclude(executive_id=Subquery(last_executive)).values("contact_on")[:1]
    Account.objects.update(
        last_contact_on=Subquery(contacts.values("contact_on")[:1]),
        other_executives_last_contact_on=Subquery(others),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0006_executive_cadence_copy"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="last_contact_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last executive contact"),
        ),
        migrations.AddField(
            model_name="account",
            name="other_executives_last_contact_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(copy_last_contacts, migrations.RunPython.noop),
    ]
