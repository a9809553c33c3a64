"""A session's state: drafts stay with the team at every door; the migration made existing sessions confirmed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.links import absolute_url
from events.models import Event, Session
from events.tests.factories import EventFactory
from events.tests.schedule_world import dst_conference
from permissions.tests.doors import member_of

pytestmark = pytest.mark.django_db


def sessions_url(event):
    return f"/api/v1/events/{event.pk}/sessions/"


def titles(response):
    return sorted(session["title"] for session in response.json()["results"])


def test_the_public_reads_confirmed_and_cancelled_sessions_the_team_all(api_for):
    world = dst_conference()
    public = api_for(None).get(sessions_url(world.event))
    assert titles(public) == sorted(session.title for session in world.public)
    team = api_for(world.event.created_by).get(sessions_url(world.event))
    assert titles(team) == sorted([*(session.title for session in world.public), "Secret draft"])
    assert public["ETag"] != team["ETag"]
    # A moderator reads the event but not its sessions: the public's view, with the public's ETag.
    moderator = api_for(member_of(world.event, "moderator")).get(sessions_url(world.event))
    assert (titles(moderator), moderator["ETag"]) == (titles(public), public["ETag"])


def test_a_draft_session_is_a_404_to_the_public(api_for):
    world = dst_conference()
    assert api_for(None).get(f"{sessions_url(world.event)}{world.draft.pk}/").status_code == 404
    assert api_for(world.event.created_by).get(f"{sessions_url(world.event)}{world.draft.pk}/").status_code == 200


def test_confirming_a_draft_makes_the_public_etag_move(api_for):
    world = dst_conference()
    anonymous = api_for(None)
    etag = anonymous.get(sessions_url(world.event))["ETag"]
    response = api_for(world.event.created_by).patch(
        f"{sessions_url(world.event)}{world.draft.pk}/", {"state": "confirmed"}, format="json"
    )
    assert (response.status_code, response.json()["state"]) == (200, "confirmed")
    again = anonymous.get(sessions_url(world.event), headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert "Secret draft" in titles(again)


def test_the_api_refuses_an_unknown_state(api_for):
    world = dst_conference()
    response = api_for(world.event.created_by).patch(
        f"{sessions_url(world.event)}{world.opening.pk}/", {"state": "maybe"}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"state": ['"maybe" is not a valid choice.']})


def test_a_new_session_is_a_draft_unless_told(api_for):
    event = EventFactory(state=Event.PUBLISHED)
    api = api_for(event.created_by)
    payload = {"title": "New", "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat()}
    assert api.post(sessions_url(event), payload, format="json").json()["state"] == "draft"
    confirmed = api.post(sessions_url(event), {**payload, "state": "confirmed"}, format="json").json()
    assert confirmed["state"] == "confirmed"


def test_the_organizer_form_sets_the_state(client):
    world = dst_conference()
    client.force_login(world.event.created_by)
    url = reverse("events:service-edit", args=[world.event.pk, "sessions", world.draft.pk])
    form = client.get(url).content.decode()
    assert 'name="state"' in form
    response = client.post(
        url,
        {
            "title": "Secret draft",
            "state": "cancelled",
            "starts_at": "2030-10-27T10:00",
            "ends_at": "2030-10-27T11:00",
        },
    )
    assert response.status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.state == Session.CANCELLED


def test_the_event_api_links_the_schedule_and_feeds(api_for):
    world = dst_conference()
    links = api_for(None).get(f"/api/v1/events/{world.event.pk}/").json()["links"]
    assert links == {
        "public_page": absolute_url("/e/dst-conf/"),
        "schedule": absolute_url("/e/dst-conf/schedule/"),
        "schedule_data": absolute_url("/e/dst-conf/schedule/data.json"),
        "schedule_ics": absolute_url("/e/dst-conf/schedule.ics"),
        "schedule_frab_xml": absolute_url("/e/dst-conf/schedule.xml"),
        "schedule_frab_json": absolute_url("/e/dst-conf/schedule.json"),
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_existing_sessions_confirmed():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("events", "0001_initial")])
    old_apps = executor.loader.project_state([("events", "0001_initial")]).apps
    event = old_apps.get_model("events", "Event").objects.create(
        name="Old", slug="old", starts_at="2030-01-01T09:00Z", ends_at="2030-01-02T09:00Z"
    )
    old_apps.get_model("events", "Session").objects.create(
        event=event, title="From before", starts_at="2030-01-01T10:00Z", ends_at="2030-01-01T11:00Z"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    assert list(Session.objects.values_list("title", "state")) == [("From before", "confirmed")]
    assert Session(title="New").state == Session.DRAFT  # the model's default from now on
