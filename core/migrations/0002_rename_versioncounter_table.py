from django.db import migrations


class Migration(migrations.Migration):
    """Rename eventsite_versioncounter to core_versioncounter (a rename keeps the rows)."""

    dependencies = [("core", "0001_versioncounter_from_eventsite")]

    operations = [migrations.AlterModelTable(name="versioncounter", table=None)]
