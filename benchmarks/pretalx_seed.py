"""Migrate and seed a pretalx database for benchmarks/peer_pretalx.py; runs in pretalx's own interpreter.

This file is never imported by our project: peer_pretalx.py runs it with the
python of pretalx's virtualenv, with PRETALX_CONFIG_FILE pointing at the
peer's pretalx.cfg. It goes through pretalx's own models and domain
functions (the ones its ``create_test_event`` command uses), so the data looks
like what organisers make in the web interface:

- an organiser with a team that may work on all its events, and its user;
- one public event (the slug is the first argument) with a CfP, rooms,
  ``TALKS`` confirmed talks, each with one speaker (a user and its speaker
  profile) and placed in a room at a start time;
- the schedule released (frozen as version "v1"), so the public schedule and
  its exports are visible;
- a read-only API token (``UserApiToken``) of the organiser user.

It prints one line ``PRETALX_SEED {json}`` with the token and the counts.
"""

import datetime as dt
import json
import os
import sys
import time

import django

TALKS = 50
ROOMS = 5
TALK_MINUTES = 30
BREAK_MINUTES = 15


def main(slug):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretalx.settings")
    django.setup()

    from django.core.management import call_command
    from django.test import override_settings

    # Migrating here rather than with ``python -m pretalx migrate`` saves one
    # start of Django, a few seconds of every warm start.
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.monotonic() - started

    # The users are made with random passwords nobody will type; pretalx's
    # Argon2 (about 0.2 s a hash here, 10 s for 51 users) would be most of the seeding time.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        summary = seed(slug)
    summary["migrate_seconds"] = round(migrate_seconds, 2)
    print("PRETALX_SEED " + json.dumps(summary), flush=True)


def seed(slug):
    from django.db import transaction
    from django_scopes import scope, scopes_disabled

    with transaction.atomic(), scopes_disabled():
        organiser_user, event = create_event(slug)
    with transaction.atomic(), scope(event=event):
        rooms = create_rooms(event)
        talks = create_talks(event, organiser_user)
        place_talks(event, talks, rooms)
        release_schedule(event, organiser_user)
        token = create_token(organiser_user, event)
        return {
            "event": event.slug,
            "talks": event.talks.count(),
            "speakers": event.speakers.count(),
            "schedule": event.current_schedule.version,
            "token": token.token,
        }


def create_event(slug):
    """The organiser user, its organiser and team, and the event (live: ``is_public``)."""
    from django.utils.timezone import now
    from pretalx.event.domain.event import activate_event
    from pretalx.event.domain.event import create_event as pretalx_create_event
    from pretalx.event.domain.organiser import create_organiser_with_team
    from pretalx.person.domain.user import create_user

    organiser_user = create_user(email="orga@bench.example", name="Bench Organiser", locale="en", timezone="UTC")
    organiser, team = create_organiser_with_team(name="Bench Org", slug=f"{slug}org", users=[organiser_user])
    # What pretalx's event wizard gives the creator: rights on every event, including its proposals.
    team.all_events = True
    team.can_change_event_settings = True
    team.can_change_submissions = True
    team.save()

    start = now().date() + dt.timedelta(days=30)
    event = pretalx_create_event(
        organiser=organiser,
        locales=["en"],
        user=organiser_user,
        name="BenchConf",
        slug=slug,
        date_from=start,
        date_to=start + dt.timedelta(days=1),
        timezone="UTC",
        email="orga@bench.example",
        locale="en",
    )
    event.cfp.deadline = now() - dt.timedelta(days=7)
    event.cfp.save()
    exceptions, _messages = activate_event(event, user=organiser_user)
    if exceptions:
        raise RuntimeError(f"pretalx refused to make the event live: {exceptions}")
    return organiser_user, event


def create_rooms(event):
    from pretalx.schedule.models import Room

    return [
        Room.objects.create(event=event, name=f"Room {number}", position=number, capacity=100)
        for number in range(1, ROOMS + 1)
    ]


def create_talks(event, organiser_user):
    """``TALKS`` confirmed talks, each with a speaker of its own (a user and its speaker profile)."""
    from pretalx.person.domain.user import create_user
    from pretalx.submission.domain.submission import create_submission
    from pretalx.submission.models import Submission, SubmissionType

    talk_type = SubmissionType.objects.filter(event=event).first()
    talk_type.default_duration = TALK_MINUTES
    talk_type.save()
    talks = []
    for number in range(1, TALKS + 1):
        speaker = create_user(
            email=f"speaker{number}@bench.example",
            name=f"Speaker {number}",
            locale="en",
            timezone="UTC",
            event=event,  # materialises the speaker profile
        )
        profile = speaker.get_speaker(event)
        profile.biography = f"Speaker {number} talks about benchmarks."
        profile.save()
        submission = Submission(
            event=event,
            title=f"Talk {number}: measuring things",
            submission_type=talk_type,
            abstract=f"Abstract of talk {number}.",
            description=f"Description of talk {number}.",
            content_locale="en",
            state="confirmed",  # an organiser may create talks straight in their final state
        )
        talks.append(create_submission(submission=submission, user=organiser_user, orga=True, speakers=[speaker]))
    return talks


def place_talks(event, talks, rooms):
    """Put the talks round-robin in the rooms, one slot after the other from 09:00 on the first day."""
    from pretalx.schedule.domain.slot import move_slot

    first_start = event.datetime_from + dt.timedelta(hours=9)
    for index, talk in enumerate(talks):
        start = first_start + (index // len(rooms)) * dt.timedelta(minutes=TALK_MINUTES + BREAK_MINUTES)
        # create_submission made the talk's slot in the work-in-progress schedule.
        move_slot(talk.slots.get(schedule=event.wip_schedule), start, room=rooms[index % len(rooms)])


def release_schedule(event, organiser_user):
    from pretalx.schedule.domain.release import freeze_schedule

    # No notifications: they would queue 50 mails nobody reads.
    freeze_schedule(event.wip_schedule, "v1", user=organiser_user, notify_speakers=False)


def create_token(organiser_user, event):
    """A token that may read (list and retrieve) every endpoint of the organiser's events."""
    from pretalx.api.versions import CURRENT_VERSION
    from pretalx.person.models.auth_token import ENDPOINTS, READ_PERMISSIONS, UserApiToken

    # The version is set so the first request does not write it into the token.
    return UserApiToken.objects.create(
        name="benchmarks",
        user=organiser_user,
        all_events=True,
        endpoints={endpoint: list(READ_PERMISSIONS) for endpoint in ENDPOINTS},
        version=CURRENT_VERSION,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchconf")
