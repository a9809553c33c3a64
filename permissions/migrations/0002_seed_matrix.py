from django.db import migrations

# Frozen copy of the default matrix (DESIGN.md): a migration must not import
# code that may change later.
ROLES = ("organizer", "coorganizer", "track_organizer", "moderator")
SERVICES = ("event", "ticket", "track", "session", "speaker", "sponsor", "microlocation")
MATRIX = {
    "organizer": {
        "event": "RUD",
        "ticket": "CRUD",
        "track": "CRUD",
        "session": "CRUD",
        "speaker": "CRUD",
        "sponsor": "CRUD",
        "microlocation": "CRUD",
    },
    "coorganizer": dict.fromkeys(SERVICES, "RU"),
    "track_organizer": {"event": "R", "track": "RU"},
    "moderator": {"event": "R", "track": "R"},
}


def seed(apps, schema_editor):
    Role = apps.get_model("permissions", "Role")
    Service = apps.get_model("permissions", "Service")
    RolePermission = apps.get_model("permissions", "RolePermission")
    roles = {name: Role.objects.get_or_create(name=name)[0] for name in ROLES}
    services = {name: Service.objects.get_or_create(name=name)[0] for name in SERVICES}
    for role_name, row in MATRIX.items():
        for service_name in SERVICES:
            letters = row.get(service_name, "")
            RolePermission.objects.update_or_create(
                role=roles[role_name],
                service=services[service_name],
                defaults={
                    "can_create": "C" in letters,
                    "can_read": "R" in letters,
                    "can_update": "U" in letters,
                    "can_delete": "D" in letters,
                },
            )


def unseed(apps, schema_editor):
    apps.get_model("permissions", "RolePermission").objects.all().delete()
    apps.get_model("permissions", "Service").objects.all().delete()
    apps.get_model("permissions", "Role").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
