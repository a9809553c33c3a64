"""The team page offers a track limit only where a role can have one, labelled, and stacks on phones."""

import re

import pytest

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory, TrackFactory
from permissions import matrix
from permissions.models import RolePermission
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


def rows(page):
    return dict(re.findall(r'<tr class="stack-card" data-role="(\w+)">(.*?)</tr>', page, re.S))


def test_only_track_scoped_roles_show_the_track_limit_and_it_is_labelled(client):
    event = EventFactory()
    track = TrackFactory(event=event, name="Main")
    EventRoleFactory(user=UserFactory(), event=event, role="moderator", tracks=[track])
    client.force_login(event.created_by)
    found = rows(client.get(f"/roles/events/{event.pk}/team/").content.decode())

    assert '<fieldset class="mt-2" data-tracks hidden disabled>' in found["organizer"]
    assert '<fieldset class="mt-2" data-tracks>' in found["moderator"]
    assert '<legend class="form-label small mb-1">Limit to tracks' in found["moderator"]
    assert re.search(
        r'<input class="form-check-input" type="checkbox" [^>]* checked>\s*<label [^>]*>Main</label>',
        found["moderator"],
    )
    assert '<label class="form-label small mb-1" for="id_role-' in found["organizer"]
    assert "<select multiple" not in found["organizer"] + found["moderator"]


def test_the_invite_form_says_what_each_role_may_do_as_the_matrix_says_it(client):
    # Finding (browser walk): the page said "moderators look" and "track organizers edit their tracks", fixed text,
    # while a moderator could see the event and its tracks only; and the super admin may change the matrix.
    event = EventFactory()
    client.force_login(event.created_by)
    url = f"/roles/events/{event.pk}/team/"

    def in_words():
        page = client.get(url).content.decode()
        words = page.split('<dl class="small text-body-secondary" id="roles-in-words">')[1].split("</dl>")[0]
        return dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", words))

    assert in_words() == {
        "Organizer": "see, change, delete: the event; add, see, change, delete: tickets, tracks, sessions, speakers, "
        "sponsors, rooms, the team, orders, webhooks",
        "Co-organizer": "see, change: the event, tickets, tracks, sessions, speakers, sponsors, rooms, orders",
        "Track organizer": "see: the event; see, change: tracks",
        "Moderator": "see: the event, tracks",
    }
    row = RolePermission.objects.get(role__name="moderator", service__name="session")
    row.can_read = True
    row.save()  # as the super admin's change in the admin: the next page says it
    assert in_words()["Moderator"] == "see: the event, tracks, sessions"


def test_who_may_not_invite_is_not_shown_the_roles_in_words(client):
    event = EventFactory()
    coorganizer = UserFactory()
    EventRoleFactory(user=coorganizer, event=event, role="coorganizer")
    RolePermission.objects.filter(role__name="coorganizer", service__name="team").update(can_read=True)
    matrix.forget()  # update() moves no counter; the engine reads the matrix again
    client.force_login(coorganizer)
    response = client.get(f"/roles/events/{event.pk}/team/")
    assert response.status_code == 200
    assert "roles-in-words" not in response.content.decode()
    assert "Invite someone" not in response.content.decode()


@pytest.mark.parametrize("track_id", ["9223372036854775808", "99999999999999999999999", "-9223372036854775809"])
def test_a_track_limit_beyond_any_id_is_a_form_error_not_a_500(client, track_id):
    """Finding (an attacker's probe): an out-of-range id in the limit's checkboxes made an OverflowError on SQLite."""
    from permissions.models import EventRole

    event = EventFactory()
    TrackFactory(event=event)
    role = EventRoleFactory(event=event, role="track_organizer")
    client.force_login(event.created_by)
    page = client.post(
        f"/roles/events/{event.pk}/team/",
        {
            "action": "change",
            "role_id": role.pk,
            f"role-{role.pk}-role": "track_organizer",
            f"role-{role.pk}-tracks": track_id,
        },
    )
    assert (page.status_code, page["Location"]) == (302, f"/roles/events/{event.pk}/team/")
    shown = [str(message) for message in client.get(page["Location"]).context["messages"]]
    assert shown == [f"Select a valid choice. {track_id} is not one of the available choices."]
    assert list(EventRole.objects.get(pk=role.pk).tracks.all()) == []


def test_changing_only_the_track_limit_says_so_and_tells_the_person(client, django_capture_on_commit_callbacks):
    """Finding (a browser walk): a new track limit read "… is now Track organizer." and the person was not told."""
    from notifications.models import Notification
    from permissions.models import EventRole

    event = EventFactory(name="Summit")
    web, data = TrackFactory(event=event, name="Web"), TrackFactory(event=event, name="Data")
    role = EventRoleFactory(event=event, role="track_organizer")
    client.force_login(event.created_by)
    url = f"/roles/events/{event.pk}/team/"
    form = {"action": "change", "role_id": role.pk, f"role-{role.pk}-role": "track_organizer"}

    with django_capture_on_commit_callbacks(execute=True):
        limited = client.post(url, {**form, f"role-{role.pk}-tracks": [web.pk, data.pk]}, follow=True)
        unchanged = client.post(url, {**form, f"role-{role.pk}-tracks": [web.pk, data.pk]}, follow=True)
        freed = client.post(url, form, follow=True)

    said = [[str(message) for message in page.context["messages"]] for page in (limited, unchanged, freed)]
    email = role.user.email
    assert said == [
        [f"{email} (Track organizer) now works on Data, Web."],
        [f"{email} (Track organizer) now works on Data, Web."],
        [f"{email} (Track organizer) now works on every track."],
    ]
    told = Notification.objects.filter(user=role.user).order_by("pk")
    link = 'target="_blank" rel="noopener noreferrer nofollow"'  # the sanitizer sets these on every link
    assert [(n.title, n.message) for n in told] == [
        (
            "Your tracks in Summit changed",
            f'<p>As <strong>Track organizer</strong> of <a href="/events/{event.pk}/" {link}>Summit</a> you now '
            "work on Data, Web.</p>",
        ),
        (
            "Your tracks in Summit changed",
            f'<p>As <strong>Track organizer</strong> of <a href="/events/{event.pk}/" {link}>Summit</a> you now '
            "work on every track.</p>",
        ),
    ]
    assert list(EventRole.objects.get(pk=role.pk).tracks.all()) == []


def test_the_team_page_is_found_beside_the_events_other_pages(client):
    """Finding (a browser walk): /events/<id>/team/ was a 404, every other page of an event being under it."""
    event = EventFactory()
    client.force_login(event.created_by)
    response = client.get(f"/events/{event.pk}/team/")
    assert (response.status_code, response["Location"]) == (302, f"/roles/events/{event.pk}/team/")
