"""The webhooks API: create (the secret shown once), bad input as field errors, rotate, ping, redeliver, the log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.tests.factories import EventFactory
from events.webhooks import signing
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, send_ping

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.org/open-event"


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def api(api_for, event):
    return api_for(event.created_by)


def base(event):
    return f"/api/v1/events/{event.pk}/webhooks/"


def test_create_answers_the_secret_once_and_keeps_it_encrypted(api, event):
    answer = api.post(base(event), {"url": URL, "kinds": ["session.changed", "order.paid"]}, format="json")
    assert answer.status_code == 201
    body = answer.json()
    secret = body.pop("secret")
    webhook = Webhook.objects.get()
    assert body == {
        "id": webhook.pk,
        "url": URL,
        "description": "",
        "kinds": ["session.changed", "order.paid"],
        "active": True,
        "disabled_reason": "",
        "created_by": event.created_by.email,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "version": 1,
    }
    assert len(signing.secret_bytes(secret)) == 32
    assert secret not in webhook.secret_encrypted and signing.decrypt(webhook.secret_encrypted) == secret
    assert "secret" not in api.get(f"{base(event)}{webhook.pk}/").json()
    assert answer["ETag"] == api.get(f"{base(event)}{webhook.pk}/")["ETag"]


def test_an_own_secret_is_taken(api, event):
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" * 1 + "AAAAAAAAAAA="
    answer = api.post(base(event), {"url": URL, "kinds": ["track.created"], "secret": secret}, format="json")
    assert answer.status_code == 201
    assert answer.json()["secret"] == secret


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "ftp://files.example.org/", "Use an http:// or https:// URL."),
        ("url", "not a url", "Use an http:// or https:// URL."),
        ("url", "https://exa mple.org/", "Enter a valid URL, e.g. https://example.org/hooks/open-event."),
        ("url", "http://10.1.2.3/hook", "Deliveries go to public addresses only, not to 10.1.2.3."),
        ("url", "http://169.254.169.254/latest/", "Deliveries go to public addresses only, not to 169.254.169.254."),
        ("url", "https://user:pw@example.org/", "Put no credentials in the URL: every delivery is signed instead."),
        # Attacker's probe: IPv6 forms that carry a private IPv4 address were taken (a router on a NAT64 or
        # IPv4-compatible network delivers to 10.0.0.1 or to the cloud's metadata service).
        *(
            ("url", f"http://[{address}]/", f"Deliveries go to public addresses only, not to {address}.")
            for address in (
                "::a00:1",  # IPv4-compatible 10.0.0.1
                "64:ff9b::a9fe:a9fe",  # NAT64 169.254.169.254
                "64:ff9b:1::c0a8:1",  # local-use NAT64 192.168.0.1
                "2002:a00:1::1",  # 6to4 through 10.0.0.1
                "::ffff:10.0.0.1",  # mapped
            )
        ),
        # Attacker's probe: an unbalanced bracket made urlsplit raise (500), a port out of range was saved and
        # failed every delivery in the worker.
        *(
            ("url", url, "Enter a valid URL, e.g. https://example.org/hooks/open-event.")
            for url in (
                "http://[::1",
                "http://[/",
                "http://]/",
                "https://a[b.com/",
                "https://a]b.com/",
                "http://[1:2:3:4:5:6:7:8:9]/",
                "https://hooks.example.org:99999/",
                "https://hooks.example.org:0/",
            )
        ),
        ("kinds", ["track.created", "track.renamed"], "Unknown kind of change: track.renamed."),
        ("kinds", [], "Choose at least one kind of change."),
        ("secret", "whsec_c2hvcnQ=", signing.TOO_SHORT),
        ("secret", "hunter2hunter2hunter2hunter2hunter2", signing.MALFORMED),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, event, field, value, message):
    body = {"url": URL, "kinds": ["track.created"], field: value}
    answer = api.post(base(event), body, format="json")
    assert (answer.status_code, answer.json()) == (400, {field: [message]})
    assert Webhook.objects.count() == 0


def test_loopback_is_refused_unless_the_setting_allows_it(api, event, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for url in ("http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/"):
        answer = api.post(base(event), {"url": url, "kinds": ["track.created"]}, format="json")
        assert answer.status_code == 400, url
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert api.post(base(event), {"url": "http://127.0.0.1:8080/", "kinds": ["ping"]}, format="json").status_code == 400
    assert (
        api.post(base(event), {"url": "http://127.0.0.1:8080/", "kinds": ["track.created"]}, format="json").status_code
        == 201
    )


def test_update_changes_fields_and_refuses_the_secret_by_name(api, event):
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    url = f"{base(event)}{webhook.pk}/"
    answer = api.patch(url, {"kinds": ["track.deleted"], "active": False}, format="json")
    assert (answer.status_code, answer.json()["kinds"], answer.json()["active"]) == (200, ["track.deleted"], False)
    refused = api.patch(url, {"secret": signing.new_secret()}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "secret": ["The secret changes only through POST .../rotate-secret/ (the old one signs along for 24 hours)."]
    }


def test_switching_on_again_clears_why_it_was_switched_off(api, event):
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    Webhook.objects.filter(pk=webhook.pk).update(active=False, disabled_reason="the receiver answered 410 Gone")
    answer = api.patch(f"{base(event)}{webhook.pk}/", {"active": True}, format="json")
    assert (answer.json()["active"], answer.json()["disabled_reason"]) == (True, "")


def test_rotate_secret_answers_the_new_one_and_keeps_the_old_for_a_day(api, event):
    webhook, old = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    answer = api.post(f"{base(event)}{webhook.pk}/rotate-secret/", {}, format="json")
    assert answer.status_code == 200
    new = answer.json()["secret"]
    webhook.refresh_from_db()
    assert signing.decrypt(webhook.secret_encrypted) == new != old
    assert signing.decrypt(webhook.previous_secret_encrypted) == old
    assert abs(webhook.previous_secret_expires_at - timezone.now() - timedelta(hours=24)) < timedelta(seconds=5)
    short = api.post(f"{base(event)}{webhook.pk}/rotate-secret/", {"secret": "whsec_c2hvcnQ="}, format="json")
    assert (short.status_code, short.json()) == (400, {"secret": [signing.TOO_SHORT]})


def test_ping_and_redeliver_queue_a_delivery(api, event):
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    ping = api.post(f"{base(event)}{webhook.pk}/ping/")
    assert (ping.status_code, ping.json()["kind"], ping.json()["state"], ping.json()["manual"]) == (
        202,
        "ping",
        "pending",
        True,
    )
    first = WebhookDelivery.objects.get()
    again = api.post(f"{base(event)}{webhook.pk}/deliveries/{first.pk}/redeliver/")
    assert again.status_code == 202
    assert (again.json()["message_id"], again.json()["body"]) == (first.message_id, first.body)
    assert WebhookDelivery.objects.count() == 2


def test_an_object_of_another_event_is_a_404(api, event):
    other = EventFactory(created_by=event.created_by)
    webhook, _secret = create_webhook(event=other, by=other.created_by, url=URL, kinds=["track.created"])
    delivery = send_ping(webhook=webhook)
    assert api.get(f"{base(event)}{webhook.pk}/").status_code == 404
    assert api.get(f"{base(event)}{webhook.pk}/deliveries/").status_code == 404
    assert api.post(f"{base(event)}{webhook.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_costs_the_same_queries_for_one_or_three(api, event, count, django_assert_num_queries):
    for index in range(count):
        create_webhook(event=event, by=event.created_by, url=f"{URL}/{index}", kinds=["track.created"])
    # the event with the permissions and counters, page (with owners); no COUNT: one page
    with django_assert_num_queries(2):
        answer = api.get(base(event))
    assert answer.json()["count"] == count


@pytest.mark.parametrize("count", [1, 3])
def test_the_log_costs_the_same_queries_for_one_or_three(api, event, count, django_assert_num_queries):
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    for _ in range(count):
        send_ping(webhook=webhook)
    # the event with the permissions, the webhook, page (no COUNT: one page)
    with django_assert_num_queries(3):
        answer = api.get(f"{base(event)}{webhook.pk}/deliveries/")
    assert [row["kind"] for row in answer.json()["results"]] == ["ping"] * count


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2606:4700:4700::1111"])
def test_ipv6_forms_of_public_addresses_are_taken(api, event, address):
    answer = api.post(base(event), {"url": f"http://[{address}]/hook", "kinds": ["track.created"]}, format="json")
    assert answer.status_code == 201, answer.json()
