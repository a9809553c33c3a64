from django.db import migrations

# Frozen: today's behaviour, written into the matrix. Organizers manage the
# team (create = invite, read, update = change a role, delete = remove);
# the other roles have no grant on it.
TEAM = {"organizer": "CRUD", "coorganizer": "", "track_organizer": "", "moderator": ""}


def seed(apps, schema_editor):
    Role = apps.get_model("permissions", "Role")
    Service = apps.get_model("permissions", "Service")
    RolePermission = apps.get_model("permissions", "RolePermission")
    team, _ = Service.objects.get_or_create(name="team")
    for role_name, letters in TEAM.items():
        role, _ = Role.objects.get_or_create(name=role_name)
        RolePermission.objects.update_or_create(
            role=role,
            service=team,
            defaults={
                "can_create": "C" in letters,
                "can_read": "R" in letters,
                "can_update": "U" in letters,
                "can_delete": "D" in letters,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("permissions", "Service").objects.filter(name="team").delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0003_versions_and_team_service")]

    operations = [migrations.RunPython(seed, unseed)]
