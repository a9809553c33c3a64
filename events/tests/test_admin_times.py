"""Django admin shows and reads an event's times in the event's own time zone, as the site's pages do.

Finding (browser walk): the admin listed an event at 10:00 in Berlin as "9 a.m." and its form held 09:00:00,
the server's UTC, while every page of the site said 10:00.
"""

from datetime import UTC, datetime

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def event():
    # 09:00 UTC in winter: 10:00 in Berlin.
    return EventFactory(
        name="Summit",
        timezone="Europe/Berlin",
        starts_at=datetime(2027, 1, 1, 9, tzinfo=UTC),
        ends_at=datetime(2027, 1, 1, 17, tzinfo=UTC),
    )


def test_the_list_shows_when_an_event_starts_in_its_time_zone(admin_client, event):
    page = admin_client.get("/admin/events/event/").content.decode()
    assert "2027-01-01 10:00 Europe/Berlin" in page


def test_the_form_shows_and_reads_local_times_of_the_event(admin_client, event):
    url = f"/admin/events/event/{event.pk}/change/"
    response = admin_client.get(url)
    page = response.content.decode()
    assert 'name="starts_at_1" value="10:00:00"' in page
    assert 'name="ends_at_1" value="18:00:00"' in page

    data = {
        "name": "Summit",
        "slug": event.slug,
        "description": "",
        "location": "",
        "starts_at_0": "2027-01-01",
        "starts_at_1": "11:00:00",
        "ends_at_0": "2027-01-01",
        "ends_at_1": "18:00:00",
        "timezone": "Europe/Berlin",
        "payment_instructions": "",
        "payment_days": 3,
        "created_by": event.created_by.pk,
    }
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    event = Event.objects.get(pk=event.pk)
    assert (event.starts_at, event.ends_at) == (
        datetime(2027, 1, 1, 10, tzinfo=UTC),
        datetime(2027, 1, 1, 17, tzinfo=UTC),
    )


def test_a_new_event_in_the_admin_reads_its_times_in_the_zone_chosen(admin_client):
    owner = UserFactory()
    answer = admin_client.post(
        "/admin/events/event/add/",
        {
            "name": "Meetup",
            "slug": "meetup",
            "description": "",
            "location": "",
            "starts_at_0": "2027-07-01",
            "starts_at_1": "18:00",
            "ends_at_0": "2027-07-01",
            "ends_at_1": "21:00",
            "timezone": "America/New_York",
            "payment_instructions": "",
            "payment_days": 3,
            "created_by": owner.pk,
        },
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    assert Event.objects.get(slug="meetup").starts_at == datetime(2027, 7, 1, 22, tzinfo=UTC)


def test_the_change_form_reads_the_event_once_and_no_list_of_accounts(admin_client, event, django_assert_num_queries):
    # Findings: the event's time zone was read before Django's change view, which read the same row again; and
    # "created by" was a <select> of every account of the site (a query and an <option> per account, each page).
    UserFactory.create_batch(3)
    url = f"/admin/events/event/{event.pk}/change/"
    admin_client.get(url)  # Django's content types are cached from here on, as in a running server
    # The staff member, the event, the engine's one query for the admin's permissions, the creator's name.
    with django_assert_num_queries(4) as queries:
        page = admin_client.get(url).content.decode()
    row_reads = [
        q for q in queries if q["sql"].startswith('SELECT "events_event"."id"') and "_event_counters" not in q["sql"]
    ]
    assert len(row_reads) == 1  # the engine's query (with the event's counters) is the other of the two
    assert f'name="created_by" value="{event.created_by.pk}"' in page
    assert "<option" not in page.split('name="created_by"')[1].split("</div>")[0]
