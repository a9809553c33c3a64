from django.db import migrations, models


class Migration(migrations.Migration):
    """Take over VersionCounter and its table from the project package, keeping every row.

    The table was created by eventsite.0002 (on new databases too), so this
    migration only records the model in core's state; 0002 then renames the
    table to core's name.
    """

    initial = True

    dependencies = [("eventsite", "0002_versioncounter")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VersionCounter",
                    fields=[
                        ("key", models.CharField(max_length=100, primary_key=True, serialize=False)),
                        ("value", models.PositiveBigIntegerField(default=0)),
                    ],
                    options={"db_table": "eventsite_versioncounter"},
                ),
            ]
        ),
    ]
