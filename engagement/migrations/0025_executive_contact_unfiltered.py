from django.db import migrations, models


class Migration(migrations.Migration):
    # Every contact recorded so far is unfiltered until the engagement types
    # carry a directness: ``visits`` fills it from them in its own migration.
    dependencies = [("engagement", "0024_account_value_and_renewal")]

    operations = [
        migrations.AddField(
            model_name="executivecontact",
            name="unfiltered",
            field=models.BooleanField(
                default=True,
                help_text="Whether the engagement's type meets customers unfiltered: its directness, copied when recorded.",
            ),
        ),
    ]
