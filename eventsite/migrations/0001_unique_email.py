from django.db import migrations


class Migration(migrations.Migration):
    """Make emails unique without regard to case: they are the log-in name."""

    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX auth_user_email_ci_uniq ON auth_user (LOWER(email)) WHERE email <> '';",
            "DROP INDEX auth_user_email_ci_uniq;",
        )
    ]
