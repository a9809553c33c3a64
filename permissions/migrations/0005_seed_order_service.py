from django.db import migrations, models

# Frozen: who manages an event's orders. Organizers do everything (create =
# place an order for someone, e.g. at the box office; delete = remove a
# cancelled or expired one); co-organizers read them and mark them paid or
# cancel them; the other roles have no grant on them.
ORDER = {"organizer": "CRUD", "coorganizer": "RU", "track_organizer": "", "moderator": ""}


def seed(apps, schema_editor):
    Role = apps.get_model("permissions", "Role")
    Service = apps.get_model("permissions", "Service")
    RolePermission = apps.get_model("permissions", "RolePermission")
    order, _ = Service.objects.get_or_create(name="order")
    for role_name, letters in ORDER.items():
        role, _ = Role.objects.get_or_create(name=role_name)
        RolePermission.objects.update_or_create(
            role=role,
            service=order,
            defaults={
                "can_create": "C" in letters,
                "can_read": "R" in letters,
                "can_update": "U" in letters,
                "can_delete": "D" in letters,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("permissions", "Service").objects.filter(name="order").delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0004_seed_team_service")]

    operations = [
        migrations.AlterField(
            model_name="service",
            name="name",
            field=models.CharField(
                choices=[
                    ("event", "Event"),
                    ("ticket", "Ticket"),
                    ("track", "Track"),
                    ("session", "Session"),
                    ("speaker", "Speaker"),
                    ("sponsor", "Sponsor"),
                    ("microlocation", "Microlocation"),
                    ("team", "Team"),
                    ("order", "Order"),
                ],
                max_length=40,
                unique=True,
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
