"""Who may upload and remove a background: the matrix's update on "event", at the one endpoint (session or token)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from events.tests.test_background import image_bytes, stored_files
from permissions.names import OPERATIONS, ROLES, UPDATE, default_grants
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db

MAY_UPDATE_EVENT = [(role, default_grants(role, "event")[OPERATIONS.index(UPDATE)]) for role in ROLES]
FORBIDDEN = {"detail": "You do not have permission to do this in this event."}


def url(event_or_id):
    return f"/api/v1/events/{getattr(event_or_id, 'pk', event_or_id)}/background/"


def upload():
    return SimpleUploadedFile("background.png", image_bytes("PNG"), content_type="image/png")


def member_of(event, role):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role)
    return user


@pytest.fixture(params=["session", "token"])
def sender_for(request, client, api_for):
    """Return a function giving a client signed in as the user: the page's way (session) or an integrator's."""

    def make(user):
        if request.param == "token":
            api = api_for(user)
            api.default_format = "multipart"  # the one API endpoint that takes a file
            return api
        client.force_login(user)
        return client

    return make


@pytest.mark.parametrize(("role", "allowed"), MAY_UPDATE_EVENT)
def test_background_follows_matrix(sender_for, role, allowed):
    event = EventFactory()
    sender = sender_for(member_of(event, role))

    posted = sender.post(url(event), {"background": upload()})
    name = Event.objects.get(pk=event.pk).background.name
    deleted = sender.delete(url(event))

    if allowed:
        assert (posted.status_code, deleted.status_code) == (200, 200)
        assert (name != "", Event.objects.get(pk=event.pk).background.name) == (True, "")
    else:
        assert (posted.status_code, posted.json()) == (403, FORBIDDEN)
        assert (deleted.status_code, deleted.json()) == (403, FORBIDDEN)
        assert (name, stored_files()) == ("", [])


def test_background_stranger_gets_404_on_a_draft_and_403_on_a_published_event(sender_for):
    draft, published = EventFactory(), EventFactory(state=Event.PUBLISHED)
    sender = sender_for(UserFactory())

    on_draft = sender.post(url(draft), {"background": upload()})
    assert (on_draft.status_code, on_draft.json()) == (404, {"detail": "No such event."})
    assert sender.post(url(published), {"background": upload()}).status_code == 403
    assert sender.post(url(999999), {"background": upload()}).status_code == 404
    assert stored_files() == []


def test_background_anonymous_gets_401(client):
    event = EventFactory(state=Event.PUBLISHED)

    response = client.post(url(event), {"background": upload()})

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert stored_files() == []


def test_background_get_is_not_allowed(client):
    event = EventFactory()
    client.force_login(event.created_by)
    assert client.get(url(event)).status_code == 405


def test_background_with_a_session_needs_the_csrf_token(db):
    event = EventFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(event.created_by)

    refused = browser.post(url(event), {"background": upload()})
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF Failed: CSRF cookie not set."})
    browser.get(f"/events/{event.pk}/wizard/background/")  # the page sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    refused = browser.post(url(event), {"background": upload()})
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF Failed: CSRF token missing."})
    assert browser.delete(url(event)).status_code == 403
    assert stored_files() == []

    accepted = browser.post(url(event), {"background": upload()}, HTTP_X_CSRFTOKEN=token)
    in_form = browser.post(url(event), {"background": upload(), "csrfmiddlewaretoken": token})
    removed = browser.delete(url(event), HTTP_X_CSRFTOKEN=token)
    assert (accepted.status_code, in_form.status_code, removed.status_code) == (200, 200, 200)
