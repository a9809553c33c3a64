from django.db import migrations


class Migration(migrations.Migration):
    """VersionCounter moved to the core app: forget it here without touching its table (core takes it over)."""

    dependencies = [("eventsite", "0002_versioncounter"), ("core", "0001_versioncounter_from_eventsite")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="VersionCounter")]),
    ]
