from django.db import migrations, models

# Frozen: who manages an event's webhooks (where its changes are sent, signed). Organizers do
# everything; no other role has a grant on them by default (a webhook's payloads show what its
# owner may read, and its URL and log are the organizers' business).
WEBHOOK = {"organizer": "CRUD", "coorganizer": "", "track_organizer": "", "moderator": ""}


def seed(apps, schema_editor):
    Role = apps.get_model("permissions", "Role")
    Service = apps.get_model("permissions", "Service")
    RolePermission = apps.get_model("permissions", "RolePermission")
    webhook, _ = Service.objects.get_or_create(name="webhook")
    for role_name, letters in WEBHOOK.items():
        role, _ = Role.objects.get_or_create(name=role_name)
        RolePermission.objects.update_or_create(
            role=role,
            service=webhook,
            defaults={
                "can_create": "C" in letters,
                "can_read": "R" in letters,
                "can_update": "U" in letters,
                "can_delete": "D" in letters,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("permissions", "Service").objects.filter(name="webhook").delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0005_seed_order_service")]

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
                    ("webhook", "Webhook"),
                ],
                max_length=40,
                unique=True,
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
