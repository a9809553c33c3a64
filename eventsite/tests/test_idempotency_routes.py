"""Every POST of the API honours Idempotency-Key: the same key and body twice does the work once and answers the
first answer again (Idempotent-Replayed: true); the same key with another body is a 422. The routes come from the
OpenAPI schema, so a new POST route without a case here (or without the header) fails."""

import io
from datetime import timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator
from PIL import Image

from core.tests.factories import UserFactory
from events.models import Event, Microlocation, Session, Speaker, Sponsor, Track
from events.tests.factories import EventFactory
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, send_ping
from notifications.models import Notification
from notifications.services import notify
from permissions.models import ApiToken, RoleInvite
from permissions.tests.factories import EventRoleFactory
from tickets.models import Order, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.org/open-event"
# POSTs that take no Idempotency-Key, and why.
EXEMPT = {
    # Anonymous (an email and a password in the body); answers the same key each time anyway.
    "/api/v1/auth/token/": "anonymous log-in, idempotent by nature",
}


def post_routes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, operations in schema["paths"].items() if "post" in operations)


def png(colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (980, 490), colour).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "background.png"
    return buffer


class World:
    """An organizer's event with a ticket, a webhook with a delivery, two unread notifications."""

    def __init__(self):
        self.event = EventFactory()
        self.user = self.event.created_by
        self.ticket = TicketFactory(event=self.event)
        self.webhook, _secret = create_webhook(event=self.event, by=self.user, url=HOOK, kinds=["track.created"])
        self.delivery = send_ping(webhook=self.webhook)
        notify(self.user, action=Notification.GENERAL, title="First")
        notify(self.user, action=Notification.GENERAL, title="Second")
        self.notification = Notification.objects.filter(user=self.user).order_by("id").first()

    def published(self):
        Event.objects.filter(pk=self.event.pk).update(state=Event.PUBLISHED)


def starts(world, hours):
    return (world.event.starts_at + timedelta(hours=hours)).isoformat()


# path -> (set-up, URL, body, another body, what one POST adds, fields answered once and replayed as null)
CASES = {
    "/api/v1/auth/tokens/": (
        None,
        lambda w: "/api/v1/auth/tokens/",
        lambda w: {"name": "CI", "scopes": ["track:read"]},
        lambda w: {"name": "CD", "scopes": ["track:read"]},
        lambda w: ApiToken.objects.count(),
        ("key",),
    ),
    "/api/v1/events/": (
        None,
        lambda w: "/api/v1/events/",
        lambda w: {"name": "New", "slug": "new", "starts_at": starts(w, 1), "ends_at": starts(w, 5)},
        lambda w: {"name": "Other", "slug": "other", "starts_at": starts(w, 1), "ends_at": starts(w, 5)},
        lambda w: Event.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/background/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/background/",
        lambda w: {"background": png()},
        lambda w: {"background": png((30, 30, 200))},  # the same file name, other bytes
        lambda w: Event.objects.get(pk=w.event.pk).version,
        (),
    ),
    "/api/v1/events/{event_pk}/invites/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/invites/",
        lambda w: {"email": "new@example.com", "role": "moderator"},
        lambda w: {"email": "other@example.com", "role": "moderator"},
        lambda w: RoleInvite.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/microlocations/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/microlocations/",
        lambda w: {"name": "Room 1"},
        lambda w: {"name": "Room 2"},
        lambda w: Microlocation.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/orders/": (
        World.published,
        lambda w: f"/api/v1/events/{w.event.pk}/orders/",
        lambda w: {
            "name": "Ann",
            "email": "ann@example.com",
            "positions": [{"ticket": w.ticket.pk, "attendee_name": "A"}],
        },
        lambda w: {
            "name": "Bob",
            "email": "bob@example.com",
            "positions": [{"ticket": w.ticket.pk, "attendee_name": "B"}],
        },
        lambda w: Order.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/sessions/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/sessions/",
        lambda w: {"title": "Talk", "starts_at": starts(w, 2), "ends_at": starts(w, 3)},
        lambda w: {"title": "Other talk", "starts_at": starts(w, 2), "ends_at": starts(w, 3)},
        lambda w: Session.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/speakers/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/speakers/",
        lambda w: {"name": "Ada"},
        lambda w: {"name": "Grace"},
        lambda w: Speaker.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/sponsors/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/sponsors/",
        lambda w: {"name": "ACME"},
        lambda w: {"name": "Initech"},
        lambda w: Sponsor.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/tickets/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/tickets/",
        lambda w: {"name": "Regular", "type": "free", "quantity": 10},
        lambda w: {"name": "Student", "type": "free", "quantity": 10},
        lambda w: Ticket.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/tracks/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/tracks/",
        lambda w: {"name": "Main"},
        lambda w: {"name": "Side"},
        lambda w: Track.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/webhooks/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/webhooks/",
        lambda w: {"url": HOOK + "/2", "kinds": ["order.paid"]},
        lambda w: {"url": HOOK + "/3", "kinds": ["order.paid"]},
        lambda w: Webhook.objects.count(),
        ("secret",),
    ),
    "/api/v1/events/{event_pk}/webhooks/{id}/ping/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/webhooks/{w.webhook.pk}/ping/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: WebhookDelivery.objects.count(),
        (),
    ),
    "/api/v1/events/{event_pk}/webhooks/{id}/rotate-secret/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/webhooks/{w.webhook.pk}/rotate-secret/",
        lambda w: {},
        lambda w: {"secret": None},
        lambda w: Webhook.objects.get(pk=w.webhook.pk).secret_encrypted,
        ("secret",),
    ),
    "/api/v1/events/{event_pk}/webhooks/{webhook_pk}/deliveries/{id}/redeliver/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/webhooks/{w.webhook.pk}/deliveries/{w.delivery.pk}/redeliver/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: WebhookDelivery.objects.count(),
        (),
    ),
    "/api/v1/events/{id}/publish/": (
        None,
        lambda w: f"/api/v1/events/{w.event.pk}/publish/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: Event.objects.filter(state=Event.PUBLISHED).count(),
        (),
    ),
    "/api/v1/events/{id}/unpublish/": (
        World.published,
        lambda w: f"/api/v1/events/{w.event.pk}/unpublish/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: Event.objects.filter(state=Event.DRAFT).count(),
        (),
    ),
    "/api/v1/notifications/{id}/read/": (
        None,
        lambda w: f"/api/v1/notifications/{w.notification.pk}/read/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: Notification.objects.filter(has_read=True).count(),
        (),
    ),
    "/api/v1/notifications/read-all/": (
        None,
        lambda w: "/api/v1/notifications/read-all/",
        lambda w: {},
        lambda w: {"again": True},
        lambda w: Notification.objects.filter(has_read=True).count(),
        (),
    ),
}


def test_every_post_route_of_the_api_has_a_case_or_a_reason():
    assert sorted([*CASES, *EXEMPT]) == post_routes()


def test_the_schema_offers_the_header_on_every_post_but_the_exempt():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    offering = sorted(
        path
        for path, operations in schema["paths"].items()
        if "post" in operations
        and any(p["name"] == "Idempotency-Key" for p in operations["post"].get("parameters", []))
    )
    assert offering == sorted(CASES)


def test_the_schema_says_a_replay_may_carry_null_for_a_secret():
    """A secret shown once is null in a replay: a client generated from the schema must accept that."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    nullable = {}
    for path, (_setup, _url, _body, _other, _count, secrets) in CASES.items():
        answers = schema["paths"][path]["post"]["responses"]
        [success] = [answer for code, answer in answers.items() if code.startswith("2")]
        reference = success["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for name in secrets:
            nullable[f"{path} {name}"] = components[reference]["properties"][name].get("nullable", False)
    assert nullable == {
        "/api/v1/auth/tokens/ key": True,
        "/api/v1/events/{event_pk}/webhooks/ secret": True,
        "/api/v1/events/{event_pk}/webhooks/{id}/rotate-secret/ secret": True,
    }


def send(api, url, body, key):
    multipart = any(hasattr(value, "read") for value in body.values())
    return api.post(url, body, format="multipart" if multipart else "json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("path", sorted(CASES))
def test_a_repeated_post_does_the_work_once_and_gets_the_first_answer(path, api_for):
    setup, url, body, other, count, secrets = CASES[path]
    world = World()
    if setup:
        setup(world)
    api = api_for(world.user)
    before = count(world)
    first = send(api, url(world), body(world), "key-1")
    assert 200 <= first.status_code < 300, first.content
    after = count(world)
    assert after != before
    again = send(api, url(world), body(world), "key-1")
    assert count(world) == after  # nothing done twice
    expected = {**first.json(), **dict.fromkeys(secrets)}
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (first.status_code, expected, "true")
    refused = send(api, url(world), other(world), "key-1")
    assert (refused.status_code, refused.json().get("code")) == (422, "idempotency_key_reused"), refused.json()
    assert count(world) == after


def test_two_posts_of_a_track_with_one_key_make_one_track_and_another_key_a_second(api_for):
    world = World()
    api = api_for(world.user)
    url = f"/api/v1/events/{world.event.pk}/tracks/"
    first = api.post(url, {"name": "Main"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api.post(url, {"name": "Main"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert (first["ETag"], first.has_header("Idempotent-Replayed")) == (again["ETag"], False)
    assert list(Track.objects.values_list("name", flat=True)) == ["Main"]
    # Another key is another request: the same body is refused as a second track of that name, another makes one.
    assert api.post(url, {"name": "Main"}, format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code == 400
    assert api.post(url, {"name": "Side"}, format="json", HTTP_IDEMPOTENCY_KEY="k3").status_code == 201
    assert list(Track.objects.order_by("pk").values_list("name", flat=True)) == ["Main", "Side"]


def test_keys_are_kept_per_user(api_for):
    world = World()
    colleague = UserFactory()
    EventRoleFactory(user=colleague, event=world.event, role="organizer")
    url = f"/api/v1/events/{world.event.pk}/speakers/"
    assert api_for(world.user).post(url, {"name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    answer = api_for(colleague).post(url, {"name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (answer.status_code, answer.has_header("Idempotent-Replayed")) == (201, False)
    assert Speaker.objects.count() == 2
