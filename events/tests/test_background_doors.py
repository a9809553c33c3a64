"""Who may upload and remove a background: the matrix's update on "event", through both doors; CSRF on the page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from events.models import Event
from events.tests.factories import EventFactory
from events.tests.test_background import image_bytes, stored_files
from eventsite.tests.factories import UserFactory
from permissions.names import OPERATIONS, ROLES, UPDATE, default_grants
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db

MAY_UPDATE_EVENT = [(role, default_grants(role, "event")[OPERATIONS.index(UPDATE)]) for role in ROLES]
FORBIDDEN = {"status": "error", "error": "You may not change this event."}


def html_url(event):
    return f"/events/{event.pk}/background/"


def api_url(event):
    return f"/api/v1/events/{event.pk}/background/"


def upload():
    return SimpleUploadedFile("background.png", image_bytes("PNG"), content_type="image/png")


def member_of(event, role):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role)
    return user


@pytest.mark.parametrize(("role", "allowed"), MAY_UPDATE_EVENT)
def test_html_background_follows_matrix(client, role, allowed):
    event = EventFactory()
    client.force_login(member_of(event, role))

    posted = client.post(html_url(event), {"background": upload()})
    name = Event.objects.get(pk=event.pk).background.name
    deleted = client.delete(html_url(event))

    if allowed:
        assert (posted.status_code, deleted.status_code) == (200, 200)
        assert (name != "", Event.objects.get(pk=event.pk).background.name) == (True, "")
    else:
        assert (posted.status_code, posted.json()) == (403, FORBIDDEN)
        assert (deleted.status_code, deleted.json()) == (403, FORBIDDEN)
        assert (name, stored_files()) == ("", [])


@pytest.mark.parametrize(("role", "allowed"), MAY_UPDATE_EVENT)
def test_api_background_follows_matrix(api_for, role, allowed):
    event = EventFactory()
    api = api_for(member_of(event, role))

    posted = api.post(api_url(event), {"background": upload()}, format="multipart")
    name = Event.objects.get(pk=event.pk).background.name
    deleted = api.delete(api_url(event))

    if allowed:
        assert (posted.status_code, deleted.status_code) == (200, 200)
        assert (name != "", Event.objects.get(pk=event.pk).background.name) == (True, "")
    else:
        assert (posted.status_code, posted.json()) == (403, {"detail": "You may not change this event."})
        assert deleted.status_code == 403
        assert (name, stored_files()) == ("", [])


def test_background_stranger_gets_404_on_a_draft_and_403_on_a_published_event(client, api_for):
    draft, published = EventFactory(), EventFactory(state=Event.PUBLISHED)
    stranger = UserFactory()
    client.force_login(stranger)
    api = api_for(stranger)

    html_draft = client.post(html_url(draft), {"background": upload()})
    assert (html_draft.status_code, html_draft.json()) == (404, {"status": "error", "error": "No such event."})
    assert api.post(api_url(draft), {"background": upload()}, format="multipart").status_code == 404
    assert client.post(html_url(published), {"background": upload()}).status_code == 403
    assert api.post(api_url(published), {"background": upload()}, format="multipart").status_code == 403
    assert client.post("/events/999999/background/", {"background": upload()}).status_code == 404
    assert stored_files() == []


def test_background_anonymous_goes_to_login_or_gets_401(client, api_for):
    event = EventFactory()

    page = client.post(html_url(event), {"background": upload()})
    api = api_for(None).post(api_url(event), {"background": upload()}, format="multipart")

    assert (page.status_code, page["Location"]) == (302, f"/accounts/login/?next={html_url(event)}")
    assert (api.status_code, api["WWW-Authenticate"]) == (401, "Token")
    assert stored_files() == []


def test_html_background_get_is_not_allowed(client):
    event = EventFactory()
    client.force_login(event.created_by)
    assert client.get(html_url(event)).status_code == 405


def test_html_background_needs_the_csrf_token(db):
    event = EventFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(event.created_by)

    refused = browser.post(html_url(event), {"background": upload()})
    assert (refused.status_code, refused.json()) == (
        403,
        {"status": "error", "error": "CSRF check failed: CSRF cookie not set."},
    )
    browser.get(f"/events/{event.pk}/wizard/background/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    refused = browser.post(html_url(event), {"background": upload()})
    assert (refused.status_code, refused.json()) == (
        403,
        {"status": "error", "error": "CSRF check failed: CSRF token missing."},
    )
    assert browser.delete(html_url(event)).status_code == 403
    assert stored_files() == []

    accepted = browser.post(html_url(event), {"background": upload()}, HTTP_X_CSRFTOKEN=token)
    in_form = browser.post(html_url(event), {"background": upload(), "csrfmiddlewaretoken": token})
    removed = browser.delete(html_url(event), HTTP_X_CSRFTOKEN=token)
    assert (accepted.status_code, in_form.status_code, removed.status_code) == (200, 200, 200)


def test_api_background_with_session_needs_the_csrf_token(db):
    event = EventFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(event.created_by)
    refused = browser.post(api_url(event), {"background": upload()})
    assert refused.status_code == 403
    assert stored_files() == []
