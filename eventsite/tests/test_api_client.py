"""A client generated from the live schema (openapi-python-client, pinned) builds an event on a real gunicorn.

What an integrator does first: generate a client from /api/schema/, get a
token, create an event with tickets, tracks, rooms, speakers and sessions,
change a session with If-Match, poll it (304), clear a nullable link. Every
module of the generated client must import. Runs in both passes of .ci/run;
the generator works offline (the schema is a local file).
"""

import importlib
import os
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from django.conf import global_settings

from core.tests.factories import UserFactory
from core.tests.live import daphne_env
from core.tests.processes import Gunicorn

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "generated-client-passphrase-7"
PACKAGE = "openevent_client"


@pytest.fixture
def web(settings, tmp_path):
    with Gunicorn(env=daphne_env(settings, tmp_path), log_path=tmp_path / "gunicorn.log") as server:
        yield server


@pytest.fixture
def generated(web, tmp_path):
    """Generate the client from the running server's schema into tmp_path; yield a module loader; unload it after."""
    schema = tmp_path / "schema.yaml"
    schema.write_bytes(requests.get(web.url("/api/schema/"), timeout=30).content)
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(tmp_path / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
        # The generator formats its output with ruff (a dev dependency, next to it); no network is used.
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The only warning: the frab XML feed's answer, a content type the generator does not parse.
    output = result.stdout + result.stderr
    assert output.count("WARNING") == 1 and "GET /e/{slug}/schedule.xml" in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_generated_client_imports_and_builds_an_event(settings, web, generated):
    # Every operation's module imports; one tag per resource.
    api_package = generated("api")
    modules = [info.name for info in pkgutil.walk_packages(api_package.__path__, f"{PACKAGE}.api.") if not info.ispkg]
    for name in modules:
        importlib.import_module(name)
    tags = sorted({name.split(".")[2] for name in modules})
    assert tags == [
        "auth",
        "events",
        "invites",
        "microlocations",
        "notifications",
        "orders",
        "roles",
        "schedule",
        "sessions",
        "speakers",
        "sponsors",
        "tickets",
        "tracks",
        "webhooks",
    ]

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server checks with the production hashers
    organizer = UserFactory(email="integrator@example.com", password=PASSWORD)
    client_module, models = generated("client"), generated("models")

    def op(name):
        return generated(f"api.{name}").sync_detailed

    anonymous = client_module.Client(base_url=web.url("").rstrip("/"), raise_on_unexpected_status=True)
    answer = op("auth.auth_token_create")(
        client=anonymous, body=models.AuthTokenRequest(username=organizer.email, password=PASSWORD)
    )
    assert answer.status_code == HTTPStatus.OK, answer.content
    api = client_module.AuthenticatedClient(
        base_url=web.url("").rstrip("/"), token=answer.parsed.token, prefix="Token", raise_on_unexpected_status=True
    )

    starts = datetime(2027, 9, 10, 7, tzinfo=UTC)
    created = op("events.events_create")(
        client=api,
        body=models.EventRequest(
            name="Generated Conf", starts_at=starts, ends_at=starts + timedelta(days=2), timezone="Europe/Berlin"
        ),
    )
    assert created.status_code == HTTPStatus.CREATED, created.content
    event = created.parsed
    assert created.headers["location"] == web.url(f"/api/v1/events/{event.id}/")
    assert (event.version, event.timezone) == (1, "Europe/Berlin")

    ticket = op("tickets.events_tickets_create")(
        client=api,
        event_pk=event.id,
        body=models.TicketRequest(name="Standard", type_=models.TypeEnum.PAID, price="25.00", quantity=100),
    )
    assert (ticket.status_code, ticket.parsed.price) == (HTTPStatus.CREATED, "25.00")
    track = op("tracks.events_tracks_create")(client=api, event_pk=event.id, body=models.TrackRequest(name="Web"))
    room = op("microlocations.events_microlocations_create")(
        client=api, event_pk=event.id, body=models.MicrolocationRequest(name="Hall A")
    )
    speaker = op("speakers.events_speakers_create")(
        client=api, event_pk=event.id, body=models.SpeakerRequest(name="Ada Lovelace")
    )
    assert [answer.status_code for answer in (track, room, speaker)] == [HTTPStatus.CREATED] * 3
    session = op("sessions.events_sessions_create")(
        client=api,
        event_pk=event.id,
        body=models.SessionRequest(
            title="Keynote",
            starts_at=starts + timedelta(hours=2),
            ends_at=starts + timedelta(hours=3),
            track=track.parsed.id,
            microlocation=room.parsed.id,
            speakers=[speaker.parsed.id],
        ),
    )
    assert session.status_code == HTTPStatus.CREATED, session.content
    keynote = session.parsed
    assert (keynote.track, keynote.microlocation, keynote.speakers, keynote.version) == (
        track.parsed.id,
        room.parsed.id,
        [speaker.parsed.id],
        1,
    )

    # A 304 poll with the ETag of the creation.
    retrieve = op("sessions.events_sessions_retrieve")
    etag = session.headers["etag"]
    polled = retrieve(client=api, event_pk=event.id, id=keynote.id, if_none_match=etag)
    assert (polled.status_code, polled.parsed, polled.headers["etag"]) == (HTTPStatus.NOT_MODIFIED, None, etag)

    # PATCH with If-Match; then the stale ETag is a 412 that carries the current one.
    patch = op("sessions.events_sessions_partial_update")
    renamed = patch(
        client=api, event_pk=event.id, id=keynote.id, if_match=etag, body=models.PatchedSessionRequest(title="Opening")
    )
    assert (renamed.status_code, renamed.parsed.title, renamed.parsed.version) == (HTTPStatus.OK, "Opening", 2)
    stale = patch(
        client=api, event_pk=event.id, id=keynote.id, if_match=etag, body=models.PatchedSessionRequest(title="Lost")
    )
    assert (stale.status_code, stale.headers["etag"]) == (HTTPStatus.PRECONDITION_FAILED, renamed.headers["etag"])
    assert stale.parsed.detail == "The resource has changed since you last read it (If-Match does not match)."

    # A nullable link cleared with null (JSON, not a form).
    cleared = patch(client=api, event_pk=event.id, id=keynote.id, body=models.PatchedSessionRequest(track=None))
    assert (cleared.status_code, cleared.parsed.track, cleared.parsed.microlocation) == (
        HTTPStatus.OK,
        None,
        room.parsed.id,
    )

    # A refusal parses as the one Error model, every refused field named.
    refused = patch(
        client=api,
        event_pk=event.id,
        id=keynote.id,
        body=models.PatchedSessionRequest.from_dict({"nmae": "typo", "title": ""}),
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.parsed.additional_properties == {
        "nmae": ["Unknown field."],
        "title": ["This field may not be blank."],
    }
