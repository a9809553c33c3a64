import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from events.models import Event
from permissions.models import EventRole
from tickets.models import Order, Ticket


@pytest.mark.django_db
def test_demo_data_loads_once_and_again_changes_nothing():
    call_command("load_demo_data", stdout=None)
    counts = (
        get_user_model().objects.count(),
        Event.objects.count(),
        EventRole.objects.count(),
        Ticket.objects.count(),
        Order.objects.count(),
    )
    call_command("load_demo_data", stdout=None)
    assert counts == (6, 2, 6, 3, 2)
    assert (
        get_user_model().objects.count(),
        Event.objects.count(),
        EventRole.objects.count(),
        Ticket.objects.count(),
        Order.objects.count(),
    ) == counts
    assert sorted(Order.objects.values_list("status", flat=True)) == ["paid", "pending"]
    assert get_user_model().objects.get(email="superadmin@example.com").is_superuser is True
    assert Event.objects.get(slug="open-source-summit").state == Event.PUBLISHED
    assert list(
        EventRole.objects.filter(event__slug="open-source-summit")
        .order_by("user__email")
        .values_list("user__email", "role__name")
    ) == [
        ("alice@example.com", "organizer"),
        ("bob@example.com", "coorganizer"),
        ("carol@example.com", "moderator"),
        ("dave@example.com", "track_organizer"),
    ]
