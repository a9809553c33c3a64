from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core.tests.factories import UserFactory
from events.models import NO_PAYMENT_INSTRUCTIONS, Event
from events.tests.factories import EventFactory
from notifications.models import Notification
from permissions.models import EventRole
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import TicketFactory
from tickets.tests.formdata import ticket_formset_data, ticket_row

pytestmark = pytest.mark.django_db

DETAILS = {
    "name": "PyCon Atlantis",
    "description": "Talks under the sea.",
    "location": "Atlantis",
    "starts_at": "2030-05-01T09:00",
    "ends_at": "2030-05-02T18:00",
    "timezone": "UTC",
}


def step_url(event, step):
    return reverse("events:wizard", args=[event.pk, step])


@pytest.fixture
def event():
    return EventFactory(starts_at=datetime(2030, 5, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 5, 2, 18, tzinfo=UTC))


@pytest.fixture
def organizer(event, client_for):
    return client_for(event.created_by)


def member_client(event, role, client_for):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role)
    return client_for(user)


def test_wizard_new_event_needs_a_login(client):
    response = client.get(reverse("events:create"))
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/events/new/")


def test_wizard_new_event_shows_step_one(client_for, user):
    response = client_for(user).get(reverse("events:create"), follow=True)
    [(address, _status)] = response.redirect_chain
    assert address.startswith("/events/new/?draft=")
    assert response.status_code == 200
    assert response.context["step"].identifier == "details"
    assert [item["step"].identifier for item in response.context["steps"]] == [
        "details",
        "background",
        "tickets",
        "review",
    ]


def test_wizard_step_one_saves_a_draft_and_goes_on(client_for, user):
    response = client_for(user).post(reverse("events:create"), {**DETAILS, "go": "next"})

    event = Event.objects.get(name="PyCon Atlantis")
    assert (response.status_code, response["Location"]) == (302, step_url(event, "background"))
    assert (event.state, event.created_by, event.location) == (Event.DRAFT, user, "Atlantis")
    assert list(EventRole.objects.filter(event=event).values_list("user", "role__name")) == [(user.pk, "organizer")]


def test_wizard_step_one_invalid_keeps_what_was_entered(client_for, user):
    response = client_for(user).post(reverse("events:create"), {**DETAILS, "ends_at": "2030-04-30T09:00"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"ends_at": ["The event must end after it starts."]}
    assert 'value="PyCon Atlantis"' in response.content.decode()
    assert Event.objects.filter(name="PyCon Atlantis").exists() is False


def test_wizard_save_draft_stays_on_the_step_and_saves(organizer, event):
    response = organizer.post(step_url(event, "details"), {**DETAILS, "name": "Saved as draft", "go": "stay"})
    assert (response.status_code, response["Location"]) == (302, step_url(event, "details"))
    event.refresh_from_db()
    assert (event.name, event.state) == ("Saved as draft", Event.DRAFT)


def test_wizard_next_then_back_shows_what_was_saved(organizer, event):
    organizer.post(step_url(event, "details"), {**DETAILS, "name": "Renamed", "go": "next"})
    back = organizer.post(step_url(event, "background"), {"go": "back"})
    details = organizer.get(back["Location"])

    assert back["Location"] == step_url(event, "details")
    assert details.context["form"]["name"].value() == "Renamed"
    event.refresh_from_db()
    assert (event.name, event.state) == ("Renamed", Event.DRAFT)


def test_wizard_background_step_is_optional_and_goes_on_to_tickets(organizer, event):
    response = organizer.get(step_url(event, "background"))
    assert response.status_code == 200
    assert "The background image can be added later." in response.content.decode()
    assert organizer.post(step_url(event, "background"), {"go": "next"})["Location"] == step_url(event, "tickets")


def test_wizard_unknown_step_is_404(organizer, event):
    assert organizer.get(step_url(event, "payment")).status_code == 404


def test_wizard_resume_goes_to_the_first_required_step_not_done(organizer, event):
    before = organizer.get(reverse("events:wizard-resume", args=[event.pk]))
    TicketFactory(event=event)
    after = organizer.get(reverse("events:wizard-resume", args=[event.pk]))
    assert (before["Location"], after["Location"]) == (step_url(event, "tickets"), step_url(event, "review"))


def test_wizard_resume_of_someone_elses_draft_is_404(event, client_for):
    stranger = client_for(UserFactory())
    assert stranger.get(reverse("events:wizard-resume", args=[event.pk])).status_code == 404


def test_wizard_resume_asks_anonymous_visitors_to_log_in(event, client):
    response = client.get(reverse("events:wizard-resume", args=[event.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_wizard_tickets_step_back_saves_and_goes_back(organizer, event):
    data = ticket_formset_data([{"type": "paid", "name": "Regular", "price": "30"}], go="back")
    response = organizer.post(step_url(event, "tickets"), data)

    assert response["Location"] == step_url(event, "background")
    assert list(event.tickets.values_list("name", "price")) == [("Regular", Decimal("30.00"))]
    again = organizer.get(step_url(event, "tickets"))
    assert [form["name"].value() for form in again.context["form"].forms] == ["Regular"]


def test_wizard_tickets_step_of_a_published_event_sells_nothing_to_pay_for_without_payment_instructions(
    organizer, event
):
    TicketFactory(event=event, name="Community")
    Event.objects.filter(pk=event.pk).update(state=Event.PUBLISHED, payment_instructions="")
    rows = [
        ticket_row(event.tickets.get()),
        {"type": "paid", "name": "Regular", "price": "30"},
        {"type": "donation", "name": "Supporter"},
    ]
    response = organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, initial=1, go="next"))
    errors = [form.errors.get("type") for form in response.context["form"].forms]
    assert errors == [None, [NO_PAYMENT_INSTRUCTIONS], [NO_PAYMENT_INSTRUCTIONS]]
    assert list(event.tickets.values_list("name", flat=True)) == ["Community"]
    Event.objects.filter(pk=event.pk).update(payment_instructions="IBAN DE00 1234")
    response = organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, initial=1, go="next"))
    assert response["Location"] == step_url(event, "review")
    assert event.tickets.count() == 3


def test_wizard_tickets_step_three_tickets_first_and_third_hidden(organizer, event):
    rows = [
        {"type": "free", "name": "Community", "hidden": "on"},
        {"type": "paid", "name": "Regular", "price": "30"},
        {"type": "donation", "name": "Supporter", "min_price": "10", "hidden": "on"},
    ]
    response = organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, go="next"))

    assert response["Location"] == step_url(event, "review")
    assert list(event.tickets.values_list("name", "type", "hidden", "position")) == [
        ("Community", "free", True, 0),
        ("Regular", "paid", False, 1),
        ("Supporter", "donation", True, 2),
    ]


def test_wizard_tickets_step_unhiding_one_ticket_leaves_the_others(organizer, event):
    tickets = [TicketFactory(event=event, name=name, hidden=True, position=i) for i, name in enumerate("ABC")]
    rows = [ticket_row(ticket) for ticket in tickets]
    del rows[1]["hidden"]
    organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, initial=3, go="stay"))
    assert list(event.tickets.values_list("name", "hidden")) == [("A", True), ("B", False), ("C", True)]


def test_wizard_tickets_step_error_is_shown_on_its_row(organizer, event):
    rows = [{"name": "Fine"}, {"type": "paid", "name": "Broken", "price": "0"}]
    response = organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, go="next"))

    assert response.status_code == 200
    formset = response.context["form"]
    assert [dict(form.errors) for form in formset.forms] == [{}, {"price": ["A paid ticket needs a price above 0."]}]
    html = response.content.decode()
    first_row = html.split('data-index="0"')[1].split("</tbody>")[0]
    second_row = html.split('data-index="1"')[1].split("</tbody>")[0]
    assert 'name="tickets-1-name" value="Broken"' in second_row
    assert "A paid ticket needs a price above 0." in second_row
    assert "A paid ticket needs a price above 0." not in first_row
    assert "Nothing was saved: 1 ticket needs a correction (marked below)." in html
    assert event.tickets.count() == 0


@pytest.mark.parametrize(
    "tamper",
    [
        {"tickets-TOTAL_FORMS": "99999999"},
        {"tickets-TOTAL_FORMS": "lots"},
        {"tickets-TOTAL_FORMS": None, "tickets-INITIAL_FORMS": None},
    ],
)
def test_wizard_tickets_step_tampered_management_form_is_an_error(organizer, event, tamper):
    data = ticket_formset_data([{"name": "Sneaky"}], go="next")
    for key, value in tamper.items():
        if value is None:
            del data[key]
        else:
            data[key] = value

    response = organizer.post(step_url(event, "tickets"), data)

    assert response.status_code == 200
    assert response.context["form"].tampered_error != ""
    assert 'id="tickets-errors"' in response.content.decode()
    # The page starts over with a sound management form.
    assert 'name="tickets-TOTAL_FORMS" value="0"' in response.content.decode()
    assert event.tickets.count() == 0


def test_wizard_tickets_step_too_many_tickets_has_a_clear_message(organizer, event):
    rows = [{"name": f"T{index}"} for index in range(101)]
    response = organizer.post(step_url(event, "tickets"), ticket_formset_data(rows, go="next"))
    assert response.status_code == 200
    assert response.context["form"].non_form_errors() == ["An event can have at most 100 tickets; remove some rows."]
    assert event.tickets.count() == 0


def test_wizard_tickets_step_stale_row_is_reported(organizer, event):
    ticket = TicketFactory(event=event, name="Shared")
    seen = ticket_row(ticket)
    ticket.description = "Edited elsewhere"
    ticket.save()

    response = organizer.post(step_url(event, "tickets"), ticket_formset_data([{**seen, "name": "Mine"}], initial=1))

    assert response.status_code == 200
    assert response.context["form"].non_form_errors() == [
        "Someone else changed this meanwhile; nothing was saved. Reload the page and try again."
    ]


def test_wizard_publish_refuses_an_event_without_tickets(organizer, event):
    page = organizer.get(step_url(event, "review"))
    response = organizer.post(step_url(event, "review"), {"go": "publish"})

    assert "Add at least one ticket before publishing." in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Add at least one ticket before publishing."]
    assert 'id="publish-errors"' in response.content.decode()
    event.refresh_from_db()
    assert event.state == Event.DRAFT


def test_wizard_publish_with_a_ticket_publishes_and_notifies_the_team(organizer, event):
    TicketFactory(event=event)
    colleague = UserFactory()
    EventRoleFactory(user=colleague, event=event, role="coorganizer")

    response = organizer.post(step_url(event, "review"), {"go": "publish"})

    assert response["Location"] == reverse("events:dashboard", args=[event.pk])
    event.refresh_from_db()
    assert event.state == Event.PUBLISHED
    assert list(Notification.objects.filter(user=colleague).values_list("title", flat=True)) == [
        f"{event.name} is published"
    ]


def test_wizard_publish_notification_shows_the_event_name_as_text(organizer, event):
    event.name = '<a href="https://phish.example/">Verify your account</a>'
    event.save()
    TicketFactory(event=event)
    colleague = UserFactory()
    EventRoleFactory(user=colleague, event=event, role="coorganizer")

    organizer.post(step_url(event, "review"), {"go": "publish"})

    [message] = Notification.objects.filter(user=colleague).values_list("message", flat=True)
    assert message.count("<a ") == 1
    assert "&lt;a href=" in message


def test_wizard_review_keep_as_draft_closes(organizer, event):
    response = organizer.post(step_url(event, "review"), {"go": "close"})
    event.refresh_from_db()
    assert (response["Location"], event.state) == (reverse("events:dashboard", args=[event.pk]), Event.DRAFT)


@pytest.mark.parametrize("step", ["details", "background", "tickets", "review"])
def test_wizard_moderator_may_not_use_any_step(event, client_for, step):
    assert member_client(event, "moderator", client_for).get(step_url(event, step)).status_code == 403


def test_wizard_anonymous_is_sent_to_log_in(client, event):
    response = client.get(step_url(event, "tickets"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_wizard_coorganizer_edits_tickets_but_cannot_add_or_remove(event, client_for):
    ticket = TicketFactory(event=event, name="Regular")
    coorganizer = member_client(event, "coorganizer", client_for)

    page = coorganizer.get(step_url(event, "tickets"))
    add = coorganizer.post(
        step_url(event, "tickets"), ticket_formset_data([ticket_row(ticket), {"name": "Extra"}], initial=1)
    )
    rename = coorganizer.post(
        step_url(event, "tickets"), ticket_formset_data([{**ticket_row(ticket), "name": "Standard"}], initial=1)
    )

    assert page.status_code == 200
    assert "data-add-ticket" not in page.content.decode()
    assert add.context["form"].non_form_errors() == ["Your role may not add tickets."]
    assert rename.status_code == 302
    assert list(event.tickets.values_list("name", flat=True)) == ["Standard"]


def test_wizard_step_one_submitted_again_after_back_saves_the_same_draft(client_for, user):
    client = client_for(user)
    page = client.get(reverse("events:create"), follow=True)
    address, draft = page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], page.context["draft_token"]
    first = client.post(address, {**DETAILS, "draft": draft, "go": "next"})
    # The browser's Back shows the same page again (same hidden draft token); the organizer saves once more.
    again = client.post(address, {**DETAILS, "name": "PyCon Atlantis 2", "draft": draft, "go": "next"})

    [event] = Event.objects.filter(created_by=user)
    assert first["Location"] == again["Location"] == step_url(event, "background")
    assert event.name == "PyCon Atlantis 2"
    # Or Back asks for the page's address again: it leads to the draft's details.
    assert client.get(address)["Location"] == step_url(event, "details")
    # A new visit of the page is a new event.
    fresh = client.get(reverse("events:create"), follow=True).context["draft_token"]
    client.post(reverse("events:create"), {**DETAILS, "draft": fresh, "go": "next"})
    assert Event.objects.filter(created_by=user).count() == 2


def test_wizard_step_one_draft_token_of_someone_else_creates_a_new_event(client_for, user):
    other = client_for(UserFactory())
    draft = other.get(reverse("events:create"), follow=True).context["draft_token"]
    other.post(reverse("events:create"), {**DETAILS, "draft": draft, "go": "next"})
    client_for(user).post(reverse("events:create"), {**DETAILS, "name": "Mine", "draft": draft, "go": "next"})
    assert sorted(Event.objects.values_list("name", flat=True)) == ["Mine", "PyCon Atlantis"]


def test_wizard_tickets_step_tells_a_coorganizer_what_their_role_can_do(event, client_for):
    coorganizer = member_client(event, "coorganizer", client_for)
    empty = coorganizer.get(step_url(event, "tickets")).content.decode()
    TicketFactory(event=event)
    listed = coorganizer.get(step_url(event, "tickets")).content.decode()

    assert "Add one with the buttons below" not in empty
    assert "No tickets yet. Your role cannot add tickets: an organizer of this event adds the first one." in empty
    assert "Your role can change these tickets, not add or remove them." in listed


def test_wizard_review_tells_a_coorganizer_who_cannot_add_a_ticket_and_offers_no_publish(event, client_for):
    coorganizer = member_client(event, "coorganizer", client_for)
    page = coorganizer.get(step_url(event, "review")).content.decode()

    assert "Add at least one ticket before publishing." in page
    assert "Your role cannot add tickets: ask an organizer of this event to add one." in page
    assert 'value="publish"' not in page
    assert f'href="{step_url(event, "tickets")}">Add a ticket' not in page


def test_wizard_review_offers_the_organizer_the_way_to_the_missing_ticket(organizer, event):
    page = organizer.get(step_url(event, "review")).content.decode()
    assert f'<a href="{step_url(event, "tickets")}">Add a ticket</a>' in page
    assert 'value="publish"' not in page
    TicketFactory(event=event)
    assert 'value="publish"' in organizer.get(step_url(event, "review")).content.decode()


def test_wizard_review_sends_the_organizer_of_paid_tickets_to_the_payment_instructions(organizer, event):
    TicketFactory(event=event, type="paid", price=Decimal("20.00"))
    page = organizer.get(step_url(event, "review")).content.decode()
    assert "Say how buyers pay (payment instructions) before selling paid or donation tickets." in page
    assert f'<a href="/events/{event.pk}/edit/?next=review#payment">Add payment instructions</a>' in page
    assert 'value="publish"' not in page
    response = organizer.post(step_url(event, "review"), {"go": "publish"})
    assert response.context["form"].non_field_errors() == [
        "Say how buyers pay (payment instructions) before selling paid or donation tickets."
    ]
    assert Event.objects.get(pk=event.pk).state == Event.DRAFT
    Event.objects.filter(pk=event.pk).update(payment_instructions="IBAN DE00 1234")
    assert 'value="publish"' in organizer.get(step_url(event, "review")).content.decode()


def test_wizard_review_of_a_published_event_offers_no_keep_as_draft(organizer, event):
    TicketFactory(event=event)
    organizer.post(step_url(event, "review"), {"go": "publish"})
    page = organizer.get(step_url(event, "review")).content.decode()

    assert "Keep as draft" not in page
    assert "See the public page" in page
    assert 'value="close">Close</button>' in page


def test_the_wizard_of_a_published_event_offers_save_not_save_draft(client):
    """Finding (a browser walk): a published event's wizard offered "Save draft", which does not unpublish it."""
    published, draft = EventFactory(state=Event.PUBLISHED), EventFactory()
    pages = {}
    for event in (published, draft):
        client.force_login(event.created_by)
        pages[event.state] = client.get(f"/events/{event.pk}/wizard/details/").content.decode()
    assert 'value="stay">Save</button>' in pages[Event.PUBLISHED]
    assert 'value="stay">Save draft</button>' in pages[Event.DRAFT]
