"""Event pages read and show times in the event's own time zone."""

from datetime import UTC, datetime

import pytest

from events.forms import EventDetailsForm
from events.models import Event
from events.tests.factories import EventFactory, SessionFactory

DETAILS = {
    "name": "Berlin Summit",
    "starts_at": "2030-01-10T09:00",
    "ends_at": "2030-01-11T18:00",
    "timezone": "Europe/Berlin",
}


@pytest.mark.django_db
def test_new_event_dates_are_local_times_of_the_chosen_zone(client, user):
    client.force_login(user)
    response = client.post("/events/new/", {**DETAILS, "go": "next"})
    assert response.status_code == 302
    event = Event.objects.get(name="Berlin Summit")
    # 09:00 in Berlin in January is 08:00 UTC.
    assert (event.starts_at, event.ends_at) == (
        datetime(2030, 1, 10, 8, 0, tzinfo=UTC),
        datetime(2030, 1, 11, 17, 0, tzinfo=UTC),
    )


@pytest.mark.django_db
def test_edit_page_shows_and_keeps_local_times(client):
    event = EventFactory(
        timezone="America/New_York",
        starts_at=datetime(2030, 7, 1, 13, 0, tzinfo=UTC),
        ends_at=datetime(2030, 7, 1, 22, 0, tzinfo=UTC),
    )
    client.force_login(event.created_by)
    page = client.get(f"/events/{event.pk}/edit/").content.decode()
    # New York is UTC-4 in July.
    assert 'value="2030-07-01T09:00"' in page
    # The way back to the event's dashboard, as on its other pages.
    assert f'<li class="breadcrumb-item"><a href="/events/{event.pk}/">{event.name}</a></li>' in page
    response = client.post(
        f"/events/{event.pk}/edit/",
        {
            "name": event.name,
            "starts_at": "2030-07-01T09:00",
            "ends_at": "2030-07-01T18:00",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (
        datetime(2030, 7, 1, 13, 0, tzinfo=UTC),
        datetime(2030, 7, 1, 22, 0, tzinfo=UTC),
    )


@pytest.mark.django_db
def test_changing_the_zone_keeps_the_wall_clock_times(client):
    event = EventFactory(
        timezone="UTC",
        starts_at=datetime(2030, 1, 10, 9, 0, tzinfo=UTC),
        ends_at=datetime(2030, 1, 10, 17, 0, tzinfo=UTC),
    )
    client.force_login(event.created_by)
    client.post(
        f"/events/{event.pk}/edit/",
        {"name": event.name, "starts_at": "2030-01-10T09:00", "ends_at": "2030-01-10T17:00", "timezone": "Asia/Tokyo"},
    )
    event.refresh_from_db()
    assert (event.timezone, event.starts_at) == ("Asia/Tokyo", datetime(2030, 1, 10, 0, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_unknown_zone_is_a_form_error(client, user):
    client.force_login(user)
    response = client.post("/events/new/", {**DETAILS, "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "timezone": ["Select a valid choice. Mars/Olympus is not one of the available choices."]
    }


@pytest.mark.django_db
def test_public_page_and_dashboard_show_local_times(client):
    event = EventFactory(
        state=Event.PUBLISHED,
        timezone="Asia/Tokyo",
        starts_at=datetime(2030, 1, 10, 0, 0, tzinfo=UTC),
        ends_at=datetime(2030, 1, 10, 8, 0, tzinfo=UTC),
    )
    assert "10 January 2030, 09:00" in client.get(f"/e/{event.slug}/").content.decode()
    client.force_login(event.created_by)
    assert "10 Jan 2030, 09:00" in client.get(f"/events/{event.pk}/").content.decode()


@pytest.mark.django_db
def test_the_form_offers_the_zones_people_live_in_and_keeps_an_events_own(client, client_for, user):
    # Finding (browser walk): the list held "Factory", "localtime" and the old aliases ("GB", "US/Pacific").
    client.force_login(user)
    offered = [value for value, _ in EventDetailsForm().fields["timezone"].choices]
    assert offered[:3] == ["UTC", "Africa/Abidjan", "Africa/Accra"]
    assert {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"} <= set(offered)
    assert not {"Factory", "localtime", "GB", "US/Pacific", "Etc/GMT+5", "Canada/Eastern"} & set(offered)
    assert client.post("/events/new/", {**DETAILS, "timezone": "Factory", "go": "next"}).status_code == 200

    assert Event.objects.count() == 0

    event = EventFactory(timezone="US/Pacific")  # set through the API, which takes any known zone
    page = client_for(event.created_by).get(f"/events/{event.pk}/edit/").content.decode()
    assert '<option value="US/Pacific" selected>US/Pacific</option>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["localtime", "Factory", "Mars/Olympus"])
def test_no_door_takes_a_zone_that_is_no_place(api_for, name):
    event = EventFactory(timezone="Europe/Berlin")
    response = api_for(event.created_by).patch(f"/api/v1/events/{event.pk}/", {"timezone": name}, format="json")
    assert (response.status_code, response.json()) == (400, {"timezone": [f"{name!r} is not a known time zone."]})
    event.refresh_from_db()
    assert event.timezone == "Europe/Berlin"


@pytest.mark.django_db
def test_moving_an_events_dates_past_its_sessions_or_ticket_sales_is_refused(api_for):
    # Attacker's probe: the event's dates moved a month on while its sessions stayed, after which every edit of a
    # session was refused ("must take place within the event's dates") and the schedule's feed contradicted itself.
    from tickets.tests.factories import TicketFactory

    event = EventFactory(starts_at=datetime(2030, 3, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 3, 2, 18, tzinfo=UTC))
    SessionFactory(
        event=event, starts_at=datetime(2030, 3, 1, 10, tzinfo=UTC), ends_at=datetime(2030, 3, 1, 11, tzinfo=UTC)
    )
    TicketFactory(event=event, sales_ends_at=datetime(2030, 3, 2, 12, tzinfo=UTC))
    api, url = api_for(event.created_by), f"/api/v1/events/{event.pk}/"
    moved = api.patch(url, {"starts_at": "2030-04-01T09:00:00Z", "ends_at": "2030-04-02T09:00:00Z"}, format="json")
    assert (moved.status_code, moved.json()) == (
        400,
        {"starts_at": ["Some sessions would fall outside these dates: move them first (Sessions lists them by time)."]},
    )
    shortened = api.patch(url, {"ends_at": "2030-03-02T10:00:00Z"}, format="json")
    assert (shortened.status_code, shortened.json()) == (
        400,
        {"ends_at": ["Some tickets would be on sale after the event ends: change their sales dates first."]},
    )
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (
        datetime(2030, 3, 1, 9, tzinfo=UTC),
        datetime(2030, 3, 2, 18, tzinfo=UTC),
    )
    longer = api.patch(url, {"ends_at": "2030-03-03T18:00:00Z"}, format="json")
    assert longer.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed"),
    [("starts_at", "2027-03-28T02:30"), ("ends_at", "2027-10-31T02:30")],  # skipped in spring, twice in autumn
)
def test_a_time_the_clocks_skip_or_repeat_in_the_chosen_zone_is_a_form_error(client, user, field, typed):
    # Attacker's probe: 02:30 on the night clocks go forward in Berlin was saved as 01:30 UTC, shown as 03:30.
    client.force_login(user)
    other = "2027-03-27T09:00" if field == "starts_at" else "2027-10-30T09:00"
    dates = (
        {"starts_at": typed, "ends_at": "2027-03-28T18:00"}
        if field == "starts_at"
        else {"starts_at": other, "ends_at": typed}
    )
    response = client.post("/events/new/", {**DETAILS, **dates, "go": "next"})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [
        f"{typed.replace('T', ' ')}:00 couldn\u2019t be interpreted in time zone Europe/Berlin; it may be ambiguous "
        "or it may not exist."
    ]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_changing_the_zone_on_the_form_keeps_the_sessions_and_ticket_sales_local_times(client):
    """Finding (a browser walk): an event planned in New York (09:00-18:00, a session at 10:00) moved to Berlin on
    its edit page kept its own times as typed but not its sessions': they read 16:00 and 15:00 in Berlin, the
    programme shifted by six hours without a word. The wizard starts at UTC, so a newcomer who sets the zone
    after planning met this every time."""
    from zoneinfo import ZoneInfo

    from tickets.tests.factories import TicketFactory

    new_york, berlin = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
    event = EventFactory(
        timezone="America/New_York",
        starts_at=datetime(2030, 3, 13, 9, tzinfo=new_york),
        ends_at=datetime(2030, 3, 15, 18, tzinfo=new_york),
    )
    talk = SessionFactory(
        event=event,
        starts_at=datetime(2030, 3, 13, 10, tzinfo=new_york),
        ends_at=datetime(2030, 3, 13, 11, tzinfo=new_york),
    )
    ticket = TicketFactory(event=event, sales_ends_at=datetime(2030, 3, 12, 20, tzinfo=new_york))
    client.force_login(event.created_by)

    response = client.post(
        f"/events/{event.pk}/edit/",
        {
            "name": event.name,
            "starts_at": "2030-03-13T09:00",
            "ends_at": "2030-03-15T18:00",
            "timezone": "Europe/Berlin",
        },
    )

    assert response.status_code == 302
    talk.refresh_from_db()
    ticket.refresh_from_db()
    assert (talk.starts_at, talk.ends_at) == (
        datetime(2030, 3, 13, 10, tzinfo=berlin),
        datetime(2030, 3, 13, 11, tzinfo=berlin),
    )
    assert ticket.sales_ends_at == datetime(2030, 3, 12, 20, tzinfo=berlin)
    assert Event.objects.get(pk=event.pk).starts_at == datetime(2030, 3, 13, 9, tzinfo=berlin)


@pytest.mark.django_db
def test_moving_to_a_zone_far_away_is_not_refused_for_sessions_that_move_with_it(client):
    """Tokyo to New York: 13 hours back. Compared as instants the sessions would fall outside the dates; they keep
    their local times, so they fit."""
    from zoneinfo import ZoneInfo

    tokyo, new_york = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
    event = EventFactory(
        timezone="Asia/Tokyo",
        starts_at=datetime(2030, 6, 1, 9, tzinfo=tokyo),
        ends_at=datetime(2030, 6, 1, 18, tzinfo=tokyo),
    )
    talk = SessionFactory(
        event=event, starts_at=datetime(2030, 6, 1, 9, tzinfo=tokyo), ends_at=datetime(2030, 6, 1, 10, tzinfo=tokyo)
    )
    client.force_login(event.created_by)

    response = client.post(
        f"/events/{event.pk}/edit/",
        {
            "name": event.name,
            "starts_at": "2030-06-01T09:00",
            "ends_at": "2030-06-01T18:00",
            "timezone": "America/New_York",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    talk.refresh_from_db()
    assert talk.starts_at == datetime(2030, 6, 1, 9, tzinfo=new_york)


@pytest.mark.django_db
def test_the_api_speaks_in_instants_and_moves_no_session_with_the_zone(api_for):
    event = EventFactory(timezone="UTC")
    talk = SessionFactory(event=event)
    before = talk.starts_at

    response = api_for(event.created_by).patch(
        f"/api/v1/events/{event.pk}/", {"timezone": "Europe/Berlin"}, format="json"
    )

    assert response.status_code == 200
    talk.refresh_from_db()
    assert talk.starts_at == before
