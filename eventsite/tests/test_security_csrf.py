"""Every form and AJAX endpoint refuses an unsafe request that carries no CSRF token.

The URLconf is walked: every URL gets POST, PUT, PATCH and DELETE from a
signed-in organizer whose browser holds a session but no CSRF token, as a
forged cross-site request would. A URL added without a way to build it here
fails the sweep, so a new endpoint cannot slip by unchecked.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.models import VersionCounter
from core.tests.factories import UserFactory
from events.models import Event, PersonalSchedule
from events.services import create_personal_schedule
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, send_ping
from events.wizard import STEPS
from notifications.models import Notification
from notifications.services import notify
from permissions.models import EventRole, RoleInvite
from permissions.services import invite
from permissions.tokens import create_token
from tickets.models import Order
from tickets.tests.factories import OrderFactory, TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]

UNSAFE_METHODS = ("post", "put", "patch", "delete")
# URL names whose unsafe methods need no CSRF token, each with the reason.
NOT_CSRF_PROTECTED = {
    # The body carries the email and password; a forged request has no ambient authority to ride on.
    "api-token",
}
# GET-only pages whose HTML renderer answers DRF's CSRF refusal as a bare "403 Forbidden".
GET_ONLY_BARE_403 = {"api-docs"}
# Django's admin and the DEBUG-only media server are Django's own code.
SKIPPED_NAMESPACES = {"admin"}
# The account pages an anonymous visitor posts to (login CSRF, signup and reset forgery).
ANONYMOUS_FORMS = ("login", "signup", "password_reset", "password_reset_confirm")
SERVICE_FACTORIES = {
    "tracks": TrackFactory,
    "sessions": SessionFactory,
    "speakers": SpeakerFactory,
    "sponsors": SponsorFactory,
    "microlocations": MicrolocationFactory,
}


def url_patterns(resolver=None, namespace=""):
    """Yield (qualified name, pattern) for every view in the URLconf, without DRF's format-suffix twins."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name and "format" not in entry.pattern.regex.groupindex:
            yield f"{namespace}{entry.name}", entry


@pytest.fixture
def world():
    """An organizer's event with one object of every kind, a notification, an invite and a reset link."""
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, state=Event.PUBLISHED)
    objects = {kind: factory(event=event) for kind, factory in SERVICE_FACTORIES.items()}
    objects["tickets"] = TicketFactory(event=event)
    objects["orders"] = OrderFactory(event=event, tickets=[objects["tickets"]])
    objects["roles"] = EventRole.objects.get(event=event, user=organizer)
    invitee = UserFactory()
    objects["invites"], token = invite(event=event, email=invitee.email, role_name="coorganizer", invited_by=organizer)
    [notification] = notify(organizer, action=Notification.GENERAL, title="Hello")
    personal_token, _personal = create_personal_schedule(event=event, session_ids=[objects["sessions"].pk])
    objects["webhooks"], _secret = create_webhook(
        event=event, by=organizer, url="https://hooks.example.org/in", kinds=["track.changed"]
    )
    objects["deliveries"] = send_ping(webhook=objects["webhooks"])
    api_token, _key = create_token(user=organizer, name="script", scopes=["track:read"])
    return {
        "api_token": api_token,
        "personal_token": personal_token,
        "organizer": organizer,
        "event": event,
        "objects": objects,
        "notification": notification,
        "invite_token": token,
        "reset": {
            "uidb64": urlsafe_base64_encode(force_bytes(organizer.pk)),
            "token": default_token_generator.make_token(organizer),
        },
    }


def urls_of(name, pattern, world):
    """Return every concrete URL of one pattern (one per wizard step or service kind where it varies)."""
    event, objects = world["event"], world["objects"]
    route = str(pattern.pattern)
    if name == "events:wizard":
        return [reverse(name, args=[event.pk, step.identifier]) for step in STEPS]
    if name in ("events:service-list", "events:service-create"):
        return [reverse(name, args=[event.pk, kind]) for kind in SERVICE_FACTORIES]
    if name in ("events:service-edit", "events:service-delete"):
        return [reverse(name, args=[event.pk, kind, objects[kind].pk]) for kind in SERVICE_FACTORIES]
    if name in ("public:event", "public:checkout", "public:availability"):
        return [reverse(name, args=[event.slug])]
    if name == "public:order":
        order = objects["orders"]
        return [reverse(name, args=[event.slug, order.code, order.secret])]
    if name == "orders:action":
        return [reverse(name, args=[event.pk, objects["orders"].pk, action]) for action in ("mark-paid", "cancel")]
    if name in ("orders:detail", "orders:delete"):
        return [reverse(name, args=[event.pk, objects["orders"].pk])]
    if name.startswith("public:"):
        values = {
            "slug": event.slug,
            "session_id": objects["sessions"].pk,
            "speaker_id": objects["speakers"].pk,
            "token": world["personal_token"],
        }
        # The slug belongs to the including pattern (/e/<slug>/), the rest to the page's own.
        own = {key: values[key] for key in pattern.pattern.regex.groupindex}
        return [reverse(name, kwargs={"slug": event.slug, **own})]
    if name.startswith("events:webhooks:"):
        # The event belongs to the including pattern (/events/<event_id>/webhooks/), the rest to the page's own.
        values = {"pk": objects["webhooks"].pk, "delivery_pk": objects["deliveries"].pk}
        own = {key: values[key] for key in pattern.pattern.regex.groupindex}
        return [reverse(name, kwargs={"event_id": event.pk, **own})]
    if name.startswith("event-webhook-deliveries-"):
        values = {"event_pk": event.pk, "webhook_pk": objects["webhooks"].pk, "pk": objects["deliveries"].pk}
        return [reverse(name, kwargs={key: values[key] for key in pattern.pattern.regex.groupindex})]
    if name in ("account-token-revoke", "api-tokens-detail"):
        return [reverse(name, kwargs={"pk": world["api_token"].pk})]
    if name == "permissions:invite-respond":
        return [reverse(name, args=[world["invite_token"]])]
    if name == "permissions:invite-answer":
        return [reverse(name, args=[objects["invites"].pk])]
    if name == "password_reset_confirm":
        return [reverse(name, kwargs=world["reset"])]
    if name == "verify-email":
        from eventsite.verification import verification_token

        return [reverse(name, args=[verification_token(world["organizer"])])]
    if name.startswith(("notifications:", "notification-")):
        kwargs = {"pk": world["notification"].pk} if "pk" in pattern.pattern.regex.groupindex else {}
        return [reverse(name, kwargs=kwargs)]
    detail = re.fullmatch(r"event-(\w+)-detail", name)
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        if key in ("event_id", "event_pk"):
            kwargs[key] = event.pk
        elif key == "pk" and detail:
            kwargs[key] = objects[detail.group(1)].pk
        elif key == "pk" and name.startswith("event"):
            kwargs[key] = event.pk
        else:
            raise AssertionError(f"No way to build a URL for {name} ({route}): add a case to urls_of().")
    return [reverse(name, kwargs=kwargs)]


def is_csrf_refusal(response):
    return response.status_code == 403 and b"CSRF" in response.content


def is_refused(name, response):
    """A CSRF refusal, a 405 (the method does nothing there), or the docs page's bare 403 (its HTML drops why)."""
    if response.status_code == 405 or (name in GET_ONLY_BARE_403 and response.status_code == 403):
        return True
    return is_csrf_refusal(response)


def state(world):
    """What a forged request could change: counters, events, orders, roles, invites, notifications, feeds."""
    return (
        sorted(VersionCounter.objects.values_list("key", "value")),
        Event.objects.count(),
        sorted(Order.objects.values_list("pk", "status")),
        EventRole.objects.count(),
        sorted(RoleInvite.objects.values_list("pk", "state")),
        Notification.objects.filter(has_read=False).count(),
        sorted(PersonalSchedule.objects.values_list("pk", "updated_at")),
        sorted(Webhook.objects.values_list("pk", "active", "secret_encrypted")),
        WebhookDelivery.objects.count(),
    )


def test_every_url_of_the_urlconf_can_be_built(world):
    names = [name for name, _pattern in url_patterns()]
    assert {"login", "logout", "events:wizard", "notifications:mark-read", "event-background"} <= set(names)
    for name, pattern in url_patterns():
        assert urls_of(name, pattern, world)


def test_signed_in_unsafe_requests_without_csrf_token_are_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["organizer"])
    before = state(world)
    accepted = {}
    for name, pattern in url_patterns():
        if name in NOT_CSRF_PROTECTED:
            continue
        for url in urls_of(name, pattern, world):
            for method in UNSAFE_METHODS:
                # Error pages in the site's layout hand out a CSRF cookie: keep the browser without one.
                client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
                response = getattr(client, method)(url, {"name": "Forged"}, content_type="application/json")
                if not is_refused(name, response):
                    accepted[f"{method.upper()} {url}"] = response.status_code
    assert accepted == {}
    assert state(world) == before
    assert client.get(reverse("home")).status_code == 200  # still signed in: logout was refused too


@pytest.mark.parametrize("name", ANONYMOUS_FORMS)
def test_anonymous_account_forms_without_csrf_token_are_refused(world, name):
    client = Client(enforce_csrf_checks=True)
    url = reverse(name, kwargs=world["reset"] if name == "password_reset_confirm" else {})
    data = {"username": world["organizer"].email, "email": "new@example.com", "password": "x", "new_password1": "x"}
    assert is_csrf_refusal(client.post(url, data))


def test_form_endpoints_accept_the_same_request_with_the_token(world):
    """The control: with the page's token the refused requests go through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["organizer"])
    client.get(reverse("notifications:inbox"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("notifications:mark-all-read"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Notification.objects.filter(user=world["organizer"], has_read=False).count() == 0
    api = client.post(
        reverse("event-tracks-list", kwargs={"event_pk": world["event"].pk}),
        {"name": "With token"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert api.status_code == 201
