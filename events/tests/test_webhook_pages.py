"""The webhook pages: the secret shown once, bad input as form errors, the log with redeliver, ping, rotation."""

import pytest

from events.tests.factories import EventFactory
from events.webhooks import signing
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, send_ping

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.org/in"


@pytest.fixture
def event():
    return EventFactory(name="Summit")


@pytest.fixture
def organizer(client, event):
    client.force_login(event.created_by)
    return client


def test_a_new_webhook_shows_its_secret_once(organizer, event):
    answer = organizer.post(
        f"/events/{event.pk}/webhooks/new/", {"url": URL, "kinds": ["track.created"], "active": "on"}
    )
    webhook = Webhook.objects.get()
    assert answer["Location"] == f"/events/{event.pk}/webhooks/{webhook.pk}/"
    page = organizer.get(answer["Location"])
    secret = signing.decrypt(webhook.secret_encrypted)
    assert page.context["secret"] == secret and secret.encode() in page.content
    again = organizer.get(answer["Location"])
    assert again.context["secret"] is None and secret.encode() not in again.content
    assert (webhook.url, webhook.kinds, webhook.active, webhook.created_by) == (
        URL,
        ["track.created"],
        True,
        event.created_by,
    )


def test_bad_input_shows_form_errors_and_saves_nothing(organizer, event):
    answer = organizer.post(
        f"/events/{event.pk}/webhooks/new/",
        {"url": "http://192.168.1.10/hook", "kinds": [], "secret": "whsec_c2hvcnQ="},
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert errors == {"kinds": ["This field is required."]}
    answer = organizer.post(
        f"/events/{event.pk}/webhooks/new/",
        {"url": "http://192.168.1.10/hook", "kinds": ["track.created"], "secret": "whsec_c2hvcnQ="},
    )
    assert answer.context["form"].errors == {
        "url": ["Deliveries go to public addresses only, not to 192.168.1.10."],
    }
    answer = organizer.post(
        f"/events/{event.pk}/webhooks/new/", {"url": URL, "kinds": ["track.created"], "secret": "whsec_c2hvcnQ="}
    )
    assert answer.context["form"].errors == {"secret": [signing.TOO_SHORT]}
    assert Webhook.objects.count() == 0


def test_edit_rotate_ping_and_redeliver(organizer, event):
    webhook, old = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    base = f"/events/{event.pk}/webhooks/{webhook.pk}/"
    assert organizer.post(f"{base}edit/", {"url": URL + "2", "kinds": ["track.deleted"]}).status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.kinds, webhook.active) == (URL + "2", ["track.deleted"], False)
    assert organizer.post(f"{base}rotate-secret/")["Location"] == base
    page = organizer.get(base)
    assert page.context["secret"] == signing.decrypt(Webhook.objects.get().secret_encrypted) != old
    assert organizer.post(f"{base}ping/").status_code == 302
    ping = WebhookDelivery.objects.get()
    assert organizer.post(f"{base}deliveries/{ping.pk}/redeliver/").status_code == 302
    assert list(WebhookDelivery.objects.values_list("message_id", flat=True)) == [ping.message_id] * 2
    assert organizer.post(f"{base}delete/")["Location"] == f"/events/{event.pk}/webhooks/"
    assert Webhook.objects.count() == WebhookDelivery.objects.count() == 0


def test_the_log_shows_what_was_sent(organizer, event):
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    send_ping(webhook=webhook)
    WebhookDelivery.objects.update(state="failed", status_code=503, duration_ms=41, error="Service Unavailable")
    page = organizer.get(f"/events/{event.pk}/webhooks/{webhook.pk}/").content.decode()
    assert "Service Unavailable" in page and "41 ms" in page and "&quot;type&quot;: &quot;ping&quot;" in page


@pytest.mark.parametrize("count", [1, 3])
def test_the_pages_cost_the_same_queries_for_one_or_three(organizer, event, count, django_assert_num_queries):
    for index in range(count):
        webhook, _secret = create_webhook(
            event=event, by=event.created_by, url=f"{URL}/{index}", kinds=["track.created"]
        )
        send_ping(webhook=webhook)
    # user, the event with the permissions, the navbar's unread count, the list (with owners); the session is cached
    with django_assert_num_queries(4):
        assert organizer.get(f"/events/{event.pk}/webhooks/").status_code == 200
    # user, the event, the navbar's unread count, the webhook, its log's count and page
    with django_assert_num_queries(6):
        assert organizer.get(f"/events/{event.pk}/webhooks/{webhook.pk}/").status_code == 200


def test_the_dashboard_links_the_webhooks_for_those_who_may_read_them(organizer, event):
    assert f'href="/events/{event.pk}/webhooks/"'.encode() in organizer.get(f"/events/{event.pk}/").content
