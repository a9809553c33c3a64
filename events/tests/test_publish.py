"""Publishing and unpublishing: one service holds the rules; the API, the dashboard and the admin call it."""

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from core.tests.factories import UserFactory
from events.models import Event
from events.services import EventStateError, NotReadyError, publish_event, unpublish_event
from events.tests.factories import EventFactory
from notifications.models import Notification
from notifications.tests.sockets import TIMEOUT, communicator_for
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NO_TICKET = "Add at least one ticket before publishing."
NO_PAYMENT = "Say how buyers pay (payment instructions) before selling paid or donation tickets."


def url(event, verb):
    return f"/api/v1/events/{event.pk}/{verb}/"


def member(event, role):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role)
    return user


@pytest.fixture
def ready():
    event = EventFactory(name="Ready")
    TicketFactory(event=event)
    return event


def test_publish_service_refuses_an_event_without_a_ticket_and_a_published_one():
    event = EventFactory()
    with pytest.raises(NotReadyError) as missing:
        publish_event(event=event, by=event.created_by)
    TicketFactory(event=event)
    publish_event(event=event, by=event.created_by)
    with pytest.raises(EventStateError) as again:
        publish_event(event=event, by=event.created_by)
    assert (missing.value.messages, again.value.messages) == ([NO_TICKET], ["This event is already published."])
    assert Event.objects.get(pk=event.pk).state == Event.PUBLISHED


@pytest.mark.parametrize("kind", ["paid", "donation"])
def test_publish_service_refuses_tickets_to_pay_for_without_saying_how(kind):
    """Finding (browser walk): a wizard's event sold paid tickets whose order page said "please pay" and nothing
    about where; the wizard never asks for payment instructions (the edit page does)."""
    event = EventFactory(payment_instructions="  ")
    TicketFactory(event=event, name="Community")  # free
    TicketFactory(
        event=event, name="Supporter", **({"type": "paid", "price": 49} if kind == "paid" else {"donation": True})
    )
    with pytest.raises(NotReadyError) as missing:
        publish_event(event=event, by=event.created_by)
    assert missing.value.messages == [NO_PAYMENT]
    assert Event.objects.get(pk=event.pk).state == Event.DRAFT
    event.payment_instructions = "IBAN DE00 1234"
    event.save()
    publish_event(event=event, by=event.created_by)
    assert Event.objects.get(pk=event.pk).state == Event.PUBLISHED


def test_free_tickets_publish_without_payment_instructions():
    event = EventFactory(payment_instructions="")
    TicketFactory(event=event)
    publish_event(event=event, by=event.created_by)
    assert Event.objects.get(pk=event.pk).state == Event.PUBLISHED


def test_api_publish_says_payment_instructions_are_missing(api_for):
    event = EventFactory(payment_instructions="")
    TicketFactory(event=event, type="paid", price=10)
    response = api_for(event.created_by).post(url(event, "publish"))
    assert (response.status_code, response.json()) == (400, {"detail": NO_PAYMENT, "problems": [NO_PAYMENT]})
    assert Event.objects.get(pk=event.pk).state == Event.DRAFT


def test_api_publish_then_unpublish_notifies_the_team(api_for, ready, django_capture_on_commit_callbacks):
    colleague = member(ready, "coorganizer")
    api = api_for(ready.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        published = api.post(url(ready, "publish"))
    assert (published.status_code, published.json()["state"]) == (200, "published")
    assert published["ETag"] == api.get(f"/api/v1/events/{ready.pk}/")["ETag"]

    unpublished = api.post(url(ready, "unpublish"))
    assert (unpublished.status_code, unpublished.json()["state"]) == (200, "draft")
    assert list(Notification.objects.filter(user=colleague).order_by("id").values_list("title", flat=True)) == [
        "Ready is published",
        "Ready is a draft again",
    ]
    assert Notification.objects.filter(user=ready.created_by).count() == 0


def test_api_publish_follows_the_rules_of_the_wizard(api_for):
    event = EventFactory()
    api = api_for(event.created_by)
    refused = api.post(url(event, "publish"))
    assert (refused.status_code, refused.json()) == (400, {"detail": NO_TICKET, "problems": [NO_TICKET]})
    assert api.post(url(event, "unpublish")).json() == {"detail": "This event is not published."}
    assert api.post(url(event, "unpublish")).status_code == 409
    TicketFactory(event=event)
    assert api.post(url(event, "publish")).status_code == 200
    again = api.post(url(event, "publish"))
    assert (again.status_code, again.json()) == (409, {"detail": "This event is already published."})


@pytest.mark.parametrize(
    ("role", "status"), [("organizer", 200), ("coorganizer", 200), ("track_organizer", 403), ("moderator", 403)]
)
def test_api_publish_needs_update_on_the_event(api_for, ready, role, status):
    user = ready.created_by if role == "organizer" else member(ready, role)
    assert api_for(user).post(url(ready, "publish")).status_code == status


def test_api_publish_of_an_event_you_cannot_see_is_404_and_anonymous_is_401(api_for, ready):
    assert api_for(UserFactory()).post(url(ready, "publish")).status_code == 404
    assert api_for(None).post(url(ready, "publish")).status_code == 404
    assert Event.objects.get(pk=ready.pk).state == Event.DRAFT
    public = EventFactory(state=Event.PUBLISHED)
    assert api_for(None).post(url(public, "unpublish")).status_code == 401
    assert api_for(UserFactory()).post(url(public, "unpublish")).status_code == 403
    assert Event.objects.get(pk=public.pk).state == Event.PUBLISHED


def test_api_publish_honours_if_match(api_for, ready):
    api = api_for(ready.created_by)
    etag = api.get(f"/api/v1/events/{ready.pk}/")["ETag"]
    Event.objects.get(pk=ready.pk).save()  # someone else changed the event meanwhile
    stale = api.post(url(ready, "publish"), HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Event.objects.get(pk=ready.pk).state == Event.DRAFT
    current = api.get(f"/api/v1/events/{ready.pk}/")["ETag"]
    published = api.post(url(ready, "publish"), HTTP_IF_MATCH=current)
    assert published.status_code == 200
    assert api.post(url(ready, "unpublish"), HTTP_IF_MATCH=current).status_code == 412


def test_publish_and_unpublish_are_in_the_schema_with_a_summary(client):
    schema = client.get("/api/schema/?format=json").json()
    for verb in ("publish", "unpublish"):
        operation = schema["paths"][f"/api/v1/events/{{id}}/{verb}/"]["post"]
        assert operation["summary"] == f"{verb.capitalize()} the event"
        assert "412" in operation["responses"]
        assert "409" in operation["responses"]
        assert "If-Match" in [parameter["name"] for parameter in operation.get("parameters", [])]
        assert "requestBody" not in operation


@pytest.mark.django_db(transaction=True)
async def test_unpublishing_closes_the_public_listeners_socket():
    event = await database_sync_to_async(EventFactory)(state=Event.PUBLISHED)
    visitor = await communicator_for(None, path=f"/ws/events/{event.pk}/")
    accepted, _ = await visitor.connect(timeout=TIMEOUT)
    assert accepted is True
    await visitor.receive_json_from(timeout=TIMEOUT)

    await database_sync_to_async(unpublish_event)(event=event, by=event.created_by)

    heard = await visitor.receive_json_from(timeout=TIMEOUT)
    assert heard["changed"] == ["event"]
    assert await visitor.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4403}


def test_the_admin_shows_state_read_only_and_publishes_through_the_service(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    empty, ready = EventFactory(name="Empty"), EventFactory(name="Ready")
    TicketFactory(event=ready)
    client.force_login(admin)
    form = client.get(f"/admin/events/event/{ready.pk}/change/").context["adminform"].form
    assert "state" not in form.fields

    response = client.post(
        "/admin/events/event/",
        {"action": "publish_selected", "_selected_action": [empty.pk, ready.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [f"Empty: {NO_TICKET}", "Published 1 event(s)."]
    assert dict(Event.objects.values_list("name", "state")) == {"Empty": "draft", "Ready": "published"}

    client.post("/admin/events/event/", {"action": "unpublish_selected", "_selected_action": [ready.pk]})
    assert Event.objects.get(pk=ready.pk).state == Event.DRAFT


def test_dashboard_publish_unpublish_and_delete_for_those_who_may(client, ready):
    coorganizer = member(ready, "coorganizer")
    dashboard = reverse("events:dashboard", args=[ready.pk])
    client.force_login(coorganizer)
    page = client.get(dashboard).content.decode()
    assert f'action="/events/{ready.pk}/publish/"' in page
    assert f'action="/events/{ready.pk}/delete/"' not in page
    assert client.post(f"/events/{ready.pk}/delete/").status_code == 403

    assert client.post(f"/events/{ready.pk}/publish/")["Location"] == dashboard
    page = client.get(dashboard).content.decode()
    assert f'action="/events/{ready.pk}/unpublish/"' in page
    assert 'data-confirm="Unpublish Ready? Visitors will no longer see it."' in page
    client.post(f"/events/{ready.pk}/unpublish/")
    assert Event.objects.get(pk=ready.pk).state == Event.DRAFT

    client.force_login(ready.created_by)
    page = client.get(dashboard).content.decode()
    assert 'data-confirm="Delete Ready with its tickets, sessions and team? This cannot be undone."' in page
    # A browser without script sends the form unasked: it gets the question as a page first.
    unasked = client.post(f"/events/{ready.pk}/delete/")
    assert (unasked.status_code, unasked.templates[0].name) == (200, "events/event_confirm_delete.html")
    assert '<input type="hidden" name="confirmed" value="1">' in unasked.content.decode()
    assert client.post(f"/events/{ready.pk}/delete/", {"confirmed": "1"})["Location"] == "/"
    assert Event.objects.filter(pk=ready.pk).exists() is False


def test_dashboard_publish_without_a_ticket_says_why(client):
    event = EventFactory()
    client.force_login(event.created_by)
    response = client.post(f"/events/{event.pk}/publish/", follow=True)
    assert [str(message) for message in response.context["messages"]] == [NO_TICKET]
    assert Event.objects.get(pk=event.pk).state == Event.DRAFT
