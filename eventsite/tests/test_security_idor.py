"""IDOR sweep: every detail URL of every resource is a 404 to someone who has no business there.

The outsider organizes event B and holds no role in event A. Every URL that
names an object of A (through A's URLs, or smuggled into B's URLs) answers
404 to every method, and nothing changes.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import VersionCounter
from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from events.wizard import STEPS
from notifications.models import Notification
from notifications.services import notify
from permissions.models import EventRole
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]

METHODS = ("get", "put", "patch", "delete", "post")
HTML_KINDS = {
    "tracks": TrackFactory,
    "sessions": SessionFactory,
    "speakers": SpeakerFactory,
    "sponsors": SponsorFactory,
    "microlocations": MicrolocationFactory,
}


@pytest.fixture
def world():
    owner, outsider = UserFactory(), UserFactory()
    event_a = EventFactory(created_by=owner)
    event_b = EventFactory(created_by=outsider)
    published = EventFactory(created_by=owner, state=Event.PUBLISHED)
    objects = {kind: factory(event=event_a) for kind, factory in HTML_KINDS.items()}
    objects["tickets"] = TicketFactory(event=event_a)
    objects["roles"] = EventRole.objects.get(event=event_a, user=owner)
    [notification] = notify(owner, action=Notification.GENERAL, title="Owner's only")
    return {
        "owner": owner,
        "outsider": outsider,
        "a": event_a,
        "b": event_b,
        "published": published,
        "objects": objects,
        "hidden_ticket": TicketFactory(event=published, hidden=True),
        "published_role": EventRole.objects.get(event=published, user=owner),
        "notification": notification,
    }


def api_urls(world):
    """Every API URL that names event A, an object of A, or an object of A under event B."""
    a, b, objects = world["a"].pk, world["b"].pk, world["objects"]
    urls = [f"/api/v1/events/{a}/", f"/api/v1/events/{a}/versions/", f"/api/v1/events/{a}/background/"]
    for kind, obj in objects.items():
        urls += [
            f"/api/v1/events/{a}/{kind}/",
            f"/api/v1/events/{a}/{kind}/{obj.pk}/",
            f"/api/v1/events/{b}/{kind}/{obj.pk}/",
        ]
    urls += [
        f"/api/v1/events/{world['published'].pk}/roles/{world['published_role'].pk}/",
        f"/api/v1/notifications/{world['notification'].pk}/",
        f"/api/v1/notifications/{world['notification'].pk}/read/",
    ]
    return urls


def html_urls(world):
    """Every page that names event A, an object of A, or an object of A under event B."""
    a, b, objects = world["a"], world["b"], world["objects"]
    urls = [
        reverse("events:dashboard", args=[a.pk]),
        reverse("events:edit", args=[a.pk]),
        reverse("events:wizard-resume", args=[a.pk]),
        reverse("public:event", args=[a.slug]),
        reverse("permissions:team", args=[a.pk]),
        *(reverse("events:wizard", args=[a.pk, step.identifier]) for step in STEPS),
    ]
    for kind in HTML_KINDS:
        pk = objects[kind].pk
        urls += [
            reverse("events:service-list", args=[a.pk, kind]),
            reverse("events:service-create", args=[a.pk, kind]),
            reverse("events:service-edit", args=[a.pk, kind, pk]),
            reverse("events:service-delete", args=[a.pk, kind, pk]),
            reverse("events:service-edit", args=[b.pk, kind, pk]),
            reverse("events:service-delete", args=[b.pk, kind, pk]),
        ]
    return urls


def state():
    return (
        sorted(VersionCounter.objects.values_list("key", "value")),
        Event.objects.count(),
        EventRole.objects.count(),
        Notification.objects.filter(has_read=False).count(),
    )


def test_api_detail_urls_of_another_event_are_404(world):
    api = APIClient()
    api.force_authenticate(world["outsider"])
    before = state()
    answers = {}
    for url in api_urls(world):
        for method in METHODS:
            # A GET sends no query (an unknown query parameter is a 400 on any object).
            body = None if method == "get" else {"name": "Taken over"}
            status = getattr(api, method)(url, body, format="json").status_code
            if status not in (404, 405):
                answers[f"{method.upper()} {url}"] = status
    assert answers == {}
    assert state() == before


def test_hidden_ticket_of_a_published_event_is_404_and_writes_look_like_a_missing_one(world):
    """A published event is public, so writing there is a 403 for any id; a hidden ticket reads as missing."""
    api = APIClient()
    api.force_authenticate(world["outsider"])
    base = f"/api/v1/events/{world['published'].pk}/tickets"
    hidden, missing = f"{base}/{world['hidden_ticket'].pk}/", f"{base}/{world['hidden_ticket'].pk + 1000}/"
    assert api.get(hidden).status_code == 404
    for method in METHODS:
        call = getattr(api, method)
        assert (
            call(hidden, {"name": "x"}, format="json").status_code
            == call(missing, {"name": "x"}, format="json").status_code
        )


def test_html_pages_of_another_event_are_404(client, world):
    client.force_login(world["outsider"])
    before = state()
    answers = {}
    for url in html_urls(world):
        for method in ("get", "post"):
            status = getattr(client, method)(url, {"name": "Taken over"}).status_code
            if status not in (404, 405):
                answers[f"{method.upper()} {url}"] = status
    assert answers == {}
    assert state() == before


def test_html_mark_read_of_someone_elses_notification_changes_nothing(client, world):
    client.force_login(world["outsider"])
    theirs = client.post(reverse("notifications:mark-read", args=[world["notification"].pk]))
    missing = client.post(reverse("notifications:mark-read", args=[world["notification"].pk + 1000]))
    assert (theirs.status_code, theirs["Location"]) == (missing.status_code, missing["Location"])
    world["notification"].refresh_from_db()
    assert world["notification"].has_read is False


def test_the_owner_reaches_the_same_urls(client, world):
    """The control: the sweep's URLs are real; the owner gets them."""
    api = APIClient()
    api.force_authenticate(world["owner"])
    a, objects = world["a"].pk, world["objects"]
    for kind, obj in objects.items():
        assert api.get(f"/api/v1/events/{a}/{kind}/{obj.pk}/").status_code == 200
    assert api.get(f"/api/v1/notifications/{world['notification'].pk}/").status_code == 200
    client.force_login(world["owner"])
    for kind in HTML_KINDS:
        assert client.get(reverse("events:service-edit", args=[a, kind, objects[kind].pk])).status_code == 200
    assert client.get(reverse("events:dashboard", args=[a])).status_code == 200
