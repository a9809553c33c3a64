"""Error pages in the site's layout; under /api/ every refusal is JSON; /api/ leads to the docs."""

import json

import pytest
from django.test import Client, RequestFactory

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from eventsite import errors as views
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


def test_a_403_is_a_page_of_the_site(client):
    event = EventFactory()
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role="moderator")
    client.force_login(moderator)
    response = client.get(f"/roles/events/{event.pk}/team/")
    page = response.content.decode()
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert 'class="navbar' in page
    assert "Your role in this event does not allow this." in page


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        (views.bad_request, 400, "The request could not be understood"),
        (views.permission_denied, 403, "You may not open this page"),
        (views.page_not_found, 404, "There is no page at this address"),
    ],
)
def test_error_pages_are_in_the_layout(handler, status, text):
    request = RequestFactory().get("/somewhere/")
    response = handler(request, Exception("why"))
    assert response.status_code == status
    page = response.content.decode()
    assert text in page
    assert 'class="navbar' in page


def test_the_500_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/somewhere/")
    with django_assert_num_queries(0):
        response = views.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert 'class="navbar' in page


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v2/", "/api/v1/events/1/nothing/"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unrouted_api_path_is_a_json_404(path, method):
    # Attacker's probe: a POST was refused for its missing CSRF token (403) before being told there is nothing here.
    response = getattr(Client(enforce_csrf_checks=True), method)(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": f"No API endpoint at {path}; see /api/v1/ and /api/docs/."}


def test_api_refusals_outside_drf_are_json_too():
    request = RequestFactory().get("/api/v1/events/")
    for handler, status in [(views.bad_request, 400), (views.permission_denied, 403), (views.page_not_found, 404)]:
        response = handler(request, Exception("why"))
        assert (response.status_code, response["Content-Type"]) == (status, "application/json")
        assert set(json.loads(response.content)) == {"detail"}
    response = views.server_error(request)
    assert (response.status_code, json.loads(response.content)) == (
        500,
        {"detail": "Server error; nothing more is known here."},
    )


@pytest.mark.parametrize(
    ("method", "accept", "status", "detail"),
    [
        ("post", "*/*", 405, 'Method "POST" not allowed.'),
        ("delete", "application/vnd.oai.openapi", 405, 'Method "DELETE" not allowed.'),
        ("get", "text/html", 406, "Could not satisfy the request Accept header."),
    ],
)
def test_the_schema_refuses_in_json_like_the_rest_of_the_api(client, method, accept, status, detail):
    # The schema is served in YAML or JSON; its refusals were YAML, with each message as {string, code}.
    response = getattr(client, method)("/api/schema/", HTTP_ACCEPT=accept)
    assert (response.status_code, response["Content-Type"]) == (status, "application/json")
    assert response.json() == {"detail": detail}


def test_a_csrf_failure_under_api_is_json(client):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(
        "/api/v1/auth/token/", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert response.status_code in (400, 403)
    assert response["Content-Type"] == "application/json"


def test_api_leads_to_the_docs(client):
    response = client.get("/api/")
    assert (response.status_code, response["Location"]) == (302, "/api/docs/")


def test_the_api_root_lists_every_endpoint_of_the_schema_with_what_it_does(client, api_client):
    schema = client.get("/api/schema/?format=json").json()
    body = api_client.get("/api/v1/", HTTP_ACCEPT="application/json").json()

    assert (body["docs"], body["schema"]) == ("http://testserver/api/docs/", "http://testserver/api/schema/")
    listed = {item["path"]: item for item in body["endpoints"]}
    assert sorted(listed) == sorted(schema["paths"])
    publish = listed["/api/v1/events/{id}/publish/"]
    assert publish == {
        "path": "/api/v1/events/{id}/publish/",
        "url": "http://testserver/api/v1/events/{id}/publish/",
        "methods": {"POST": "Publish the event"},
    }
    assert listed["/api/v1/events/{event_pk}/tracks/"]["methods"]["GET"]


def test_a_refusal_is_logged_as_one_line_without_a_traceback(client, caplog):
    # Finding (browser walk): each 403 wrote Django's traceback of the PermissionDenied to the log, twice under
    # DEBUG (Django's own console handler beside ours); refusals buried the errors that matter.
    import logging

    event = EventFactory()
    moderator = EventRoleFactory(event=event, role="moderator").user  # sees the event, may not edit it
    client.force_login(moderator)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert (record.levelname, record.getMessage(), record.exc_info) == (
        "WARNING",
        f"Forbidden (Permission denied): /events/{event.pk}/edit/",
        None,
    )
    assert logging.getLogger("django").handlers == []  # each record reaches the site's one handler only
