"""Sessions get a state; the sessions that exist already were public, so they become confirmed."""

from django.db import migrations, models

STATES = [("draft", "Draft"), ("confirmed", "Confirmed"), ("cancelled", "Cancelled")]
HELP = "Only confirmed and cancelled sessions of a published event are public."


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        # Existing rows are filled with "confirmed"; new sessions start as drafts.
        migrations.AddField(
            model_name="session",
            name="state",
            field=models.CharField(choices=STATES, default="confirmed", help_text=HELP, max_length=10),
        ),
        migrations.AlterField(
            model_name="session",
            name="state",
            field=models.CharField(choices=STATES, default="draft", help_text=HELP, max_length=10),
        ),
    ]
