"""schemathesis against our own OpenAPI schema, on a real gunicorn, as an organizer: no 5xx, no schema violation.

Runs in both passes of .ci/run (SQLite and PostgreSQL + Redis). Bounded: a
fixed number of examples per operation, a fixed seed, and a time budget
(FUZZ_MAX_EXAMPLES and FUZZ_MAX_SECONDS override them for a longer run).
Path parameters point at real objects of the organizer's event, so writes
reach the serializers instead of stopping at a 404.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import global_settings

from core.tests.factories import UserFactory
from core.tests.live import daphne_env
from core.tests.processes import Gunicorn
from events.models import Event, Session
from events.services import create_personal_schedule
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from events.webhooks.models import Webhook
from events.webhooks.services import create_webhook, send_ping
from notifications.models import Notification
from notifications.services import notify
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import OrderFactory, TicketFactory

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

PASSWORD = "fuzzing-organizer-passphrase-42"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
MAX_SECONDS = int(os.environ.get("FUZZ_MAX_SECONDS", "100"))
SEED = 20261126
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


@pytest.fixture
def web(settings, tmp_path):
    """The API's production server (gunicorn, the WSGI entry point)."""
    with Gunicorn(env=daphne_env(settings, tmp_path), log_path=tmp_path / "gunicorn.log") as server:
        yield server


SERVICE_FACTORIES = {
    "tracks": TrackFactory,
    "sessions": SessionFactory,
    "speakers": SpeakerFactory,
    "sponsors": SponsorFactory,
    "microlocations": MicrolocationFactory,
    "tickets": TicketFactory,
    "roles": lambda event: EventRoleFactory(event=event, role="coorganizer"),
    "orders": lambda event: OrderFactory(event=event, pending=True, tickets=[TicketFactory(event=event, paid=True)]),
    "webhooks": lambda event: create_webhook(
        event=event, by=event.created_by, url="https://hooks.example.org/in", kinds=["track.changed"]
    )[0],
}

WEBHOOK_PATH = "/api/v1/events/{event_pk}/webhooks/{id}/"


def seed_organizer_world():
    """Return the organizer and {path pattern: {method regex: id}} for real objects to fuzz.

    Two of everything: DELETE gets one of its own, so the other methods do
    not find a 404 where the deleted one was.
    """
    organizer = UserFactory(email="fuzz@example.com", password=PASSWORD)
    event = EventFactory(created_by=organizer, state=Event.PUBLISHED)
    kept, doomed = EventFactory(created_by=organizer), EventFactory(created_by=organizer)
    [notification] = notify(organizer, action=Notification.GENERAL, title="Fuzz me", message="<p>Hi</p>")
    targets = {
        "/api/v1/events/{id}/": {"^(GET|PUT|PATCH)$": kept.pk, "^DELETE$": doomed.pk},
        "/api/v1/events/{id}/versions/": {".*": kept.pk},
        "/api/v1/events/{id}/background/": {".*": kept.pk},
        "/api/v1/notifications/{id}/": {".*": notification.pk},
        "/api/v1/notifications/{id}/read/": {".*": notification.pk},
    }
    for kind, factory in SERVICE_FACTORIES.items():
        keep, gone = factory(event=event), factory(event=event)
        targets[f"/api/v1/events/{{event_pk}}/{kind}/{{id}}/"] = {"^(GET|PUT|PATCH)$": keep.pk, "^DELETE$": gone.pk}
    # The kept webhook's actions, and its delivery log with one ping in it (its path's webhook_pk: config()).
    webhook = targets[WEBHOOK_PATH]["^(GET|PUT|PATCH)$"]
    ping = send_ping(webhook=Webhook.objects.get(pk=webhook))
    for action in ("rotate-secret", "ping"):
        targets[f"/api/v1/events/{{event_pk}}/webhooks/{{id}}/{action}/"] = {".*": webhook}
    for suffix in ("", "redeliver/"):
        targets[f"/api/v1/events/{{event_pk}}/webhooks/{{webhook_pk}}/deliveries/{{id}}/{suffix}"] = {".*": ping.pk}
    return organizer, event, targets


def config(event, targets):
    """Return schemathesis.toml: the checks, and every path parameter pointing at a real object."""
    checks = "".join(f"{check}.enabled = true\n" for check in CHECKS)
    # The public schedule's feeds (/e/{slug}/...) get the event's slug, a public session and a personal
    # feed's token: a made-up slug would stop at the URL resolver, before the filters are reached.
    session = Session.objects.filter(event=event, state=Session.CONFIRMED).first()
    token, _personal = create_personal_schedule(event=event, session_ids=[session.pk])
    schedule = f'"path.slug" = "{event.slug}"\n"path.session_id" = {session.pk}\n"path.token" = "{token}"\n'
    webhook = f'"path.webhook_pk" = {targets[WEBHOOK_PATH]["^(GET|PUT|PATCH)$"]}\n'
    sections = [f'[checks]\nenabled = false\n{checks}\n[parameters]\n"path.event_pk" = {event.pk}\n{webhook}{schedule}']
    for path, by_method in targets.items():
        for methods, pk in by_method.items():
            sections.append(
                f'[[operations]]\ninclude-path = "{path}"\ninclude-method-regex = "{methods}"\n'
                f'parameters = {{ "path.id" = {pk} }}\n'
            )
    return "\n".join(sections)


def test_api_fuzzing_finds_no_server_error_and_no_schema_violation(settings, web, tmp_path):
    # The server checks the password with the production hashers.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    organizer, event, targets = seed_organizer_world()
    token = requests.post(
        web.url("/api/v1/auth/token/"), json={"username": organizer.email, "password": PASSWORD}, timeout=30
    ).json()["token"]
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(event, targets))

    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config_file),
        "--no-color",
        "run",
        web.url("/api/schema/"),
        "--header",
        f"Authorization: Token {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--max-time",
        str(MAX_SECONDS),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
        "--output-truncate",
        "false",
    ]
    # In tmp_path: Hypothesis keeps its example database in the working directory.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=MAX_SECONDS + 120)
    output = result.stdout + result.stderr
    print(output[output.find("SUMMARY") - 2000 :])  # the warnings and the summary, shown with -s
    assert result.returncode == 0, output[-20000:] + "\n--- gunicorn log ---\n" + web.log_text()[-5000:]
    assert "Test cases:" in output
