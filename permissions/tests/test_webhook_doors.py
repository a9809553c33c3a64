"""The service "webhook" at every door: the API, the organizer pages and the admin ask the same matrix cells."""

import pytest

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, send_ping
from permissions.names import CREATE, DELETE, READ, UPDATE
from permissions.tests.doors import README_CELLS, denial_status, member_of

WEBHOOK_CELLS = [cell for cell in README_CELLS if cell[1] == "webhook"]
ALLOWED = {READ: 200, CREATE: 201, UPDATE: 200, DELETE: 204}
URL = "https://hooks.example.org/in"


@pytest.fixture
def hooked():
    """An event with one webhook and one delivery in its log."""
    event = EventFactory()
    webhook, _secret = create_webhook(event=event, by=event.created_by, url=URL, kinds=["track.created"])
    return event, webhook, send_ping(webhook=webhook)


def api_call(api, operation, event, webhook):
    base = f"/api/v1/events/{event.pk}/webhooks/"
    if operation == READ:
        return api.get(base)
    if operation == CREATE:
        return api.post(base, {"url": URL, "kinds": ["session.changed"]}, format="json")
    if operation == UPDATE:
        return api.patch(f"{base}{webhook.pk}/", {"active": False}, format="json")
    return api.delete(f"{base}{webhook.pk}/")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), WEBHOOK_CELLS)
def test_api_webhooks_follow_the_matrix(api_for, hooked, role, service, operation, allowed):
    event, webhook, _delivery = hooked
    member = member_of(event, role)
    before = sorted(Webhook.objects.values_list("pk", "active"))

    response = api_call(api_for(member), operation, event, webhook)

    assert response.status_code == (ALLOWED[operation] if allowed else denial_status(role, service, operation))
    after = sorted(Webhook.objects.values_list("pk", "active"))
    if not allowed or operation == READ:
        assert after == before
    elif operation == CREATE:
        assert len(after) == 2
    elif operation == UPDATE:
        assert after == [(webhook.pk, False)]
    else:
        assert after == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "service", "operation", "allowed"), [c for c in WEBHOOK_CELLS if c[2] in (READ, UPDATE)]
)
def test_api_webhook_actions_and_log_follow_the_matrix(api_for, hooked, role, service, operation, allowed):
    event, webhook, delivery = hooked
    api = api_for(member_of(event, role))
    base = f"/api/v1/events/{event.pk}/webhooks/{webhook.pk}/"
    if operation == READ:
        statuses = [api.get(f"{base}deliveries/").status_code, api.get(f"{base}deliveries/{delivery.pk}/").status_code]
        expected = [200, 200] if allowed else [403, 404]
    else:
        statuses = [
            api.post(f"{base}ping/").status_code,
            api.post(f"{base}rotate-secret/", {}, format="json").status_code,
            api.post(f"{base}deliveries/{delivery.pk}/redeliver/").status_code,
        ]
        expected = [202, 200, 202] if allowed else [denial_status(role, service, UPDATE)] * 3
    assert statuses == expected
    assert WebhookDelivery.objects.count() == (3 if allowed and operation == UPDATE else 1)


def html_calls(client, operation, event, webhook, delivery):
    """Return the status codes of every page of the operation (GET pages, then the POSTs that act)."""
    base = f"/events/{event.pk}/webhooks/"
    if operation == READ:
        return [client.get(base).status_code, client.get(f"{base}{webhook.pk}/").status_code]
    if operation == CREATE:
        form = {"url": URL, "kinds": ["track.created"], "active": "on"}
        return [client.get(f"{base}new/").status_code, client.post(f"{base}new/", form).status_code]
    if operation == UPDATE:
        return [
            client.get(f"{base}{webhook.pk}/edit/").status_code,
            client.post(f"{base}{webhook.pk}/edit/", {"url": URL, "kinds": ["track.deleted"]}).status_code,
            client.get(f"{base}{webhook.pk}/rotate-secret/").status_code,
            client.post(f"{base}{webhook.pk}/rotate-secret/").status_code,
            client.post(f"{base}{webhook.pk}/ping/").status_code,
            client.post(f"{base}{webhook.pk}/deliveries/{delivery.pk}/redeliver/").status_code,
        ]
    return [
        client.get(f"{base}{webhook.pk}/delete/").status_code,
        client.post(f"{base}{webhook.pk}/delete/").status_code,
    ]


HTML_ALLOWED = {READ: [200, 200], CREATE: [200, 302], UPDATE: [200, 302, 200, 302, 302, 302], DELETE: [200, 302]}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), WEBHOOK_CELLS)
def test_html_webhook_pages_follow_the_matrix(client, hooked, role, service, operation, allowed):
    event, webhook, delivery = hooked
    client.force_login(member_of(event, role))
    before = sorted(Webhook.objects.values_list("pk", "kinds", "secret_encrypted"))
    statuses = html_calls(client, operation, event, webhook, delivery)
    assert statuses == (HTML_ALLOWED[operation] if allowed else [403] * len(HTML_ALLOWED[operation]))
    changed = sorted(Webhook.objects.values_list("pk", "kinds", "secret_encrypted")) != before
    assert changed is (allowed and operation != READ)


@pytest.mark.django_db
def test_webhook_pages_send_the_anonymous_to_login_and_strangers_to_a_404(client, hooked):
    event, webhook, _delivery = hooked
    url = f"/events/{event.pk}/webhooks/{webhook.pk}/"
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404  # a draft event does not exist for strangers


@pytest.mark.django_db
def test_admin_shows_webhooks_read_only_through_the_engine(client, hooked):
    _event, webhook, _delivery = hooked
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/events/webhook/").status_code == 200
    page = client.get(f"/admin/events/webhook/{webhook.pk}/change/")
    assert page.status_code == 200
    assert webhook.secret_encrypted.encode() not in page.content
    assert client.get("/admin/events/webhook/add/").status_code == 403
    assert client.post(f"/admin/events/webhook/{webhook.pk}/delete/", {"post": "yes"}).status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.post(f"/admin/events/webhook/{webhook.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Webhook.objects.count() == 0
