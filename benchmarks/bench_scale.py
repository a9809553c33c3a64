"""Scale: the SQL of the hot request paths on a whole site against the same event alone (opt-in: ``--only scale``).

A path whose SQL costs more as the *site* grows (more events, orders, users
elsewhere) while the event it serves stays the same is a missing index, a
join planned over a whole table, a scan. This script builds two databases of
its own on the benchmark's PostgreSQL server (dropped at the end):

- "small": the focus event (1,500 sessions, 600 speakers, 3,000 orders, its
  organizer with 2,000 notifications, a staff user) and a handful of other
  rows (10 users, 3 events);
- "large": the same focus event, built by the same code with the same random
  seed (the same ids and rows), and the site around it: 3,000 users, 5,000
  events with their roles, 96,000 sessions, 40,000 speakers, 15,000 tracks
  and rooms each, 47,000 orders (50,000 with the focus event's) with their
  positions (about 87,000), 200,000 notifications, role invites, API tokens,
  webhooks.

Both are seeded with the app's own bulk_create (versioned models bump their
version counters as the app does), then ``VACUUM (ANALYZE)``: analysed as
ANALYZE does, and vacuumed so that autovacuum, which a fresh table of 200,000
inserted rows would call, does not start in the middle of the measurement and
change the plans.

Each path is one request through Django's test client, in this process, as
the organizer (session or token), the staff user, or nobody. The request is
made once to warm up, then again with every statement it sends recorded
(``connection.execute_wrapper``). Writes (order placement, log-in, sign-up)
run inside a transaction that is rolled back, so both databases stay as
seeded and every statement can be run again. Each recorded statement is then
run under ``EXPLAIN (ANALYZE, FORMAT JSON)`` in a transaction rolled back
afterwards; a path's figure is the sum of the statements' execution times,
the minimum over 3 rounds, small and large interleaved. The ratio large /
small is ~1x for a path that does not grow with the site. The note gives the
path's queries (every statement the request sent, savepoints included), the
statements not explained (savepoints, NOTIFY) and every Seq Scan on a table
of more than 1,000 rows (pg_class.reltuples) that a plan showed: on the large
database, and, marked "small:", those only the small one's plans had (there
the focus event is most of its tables, where a scan is the right plan).

Not in ``make bench`` (``OPT_IN`` in run.py, which must stay under 10
minutes): about 100 s, of which seeding the large database takes a minute.
"""

import itertools
import json
import os
import random
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from events.models import Event, Microlocation, Session, Speaker, Track
from events.webhooks.models import Webhook
from notifications.models import Notification
from permissions import matrix
from permissions.models import ApiToken, EventRole, Role, RoleInvite, hash_token
from permissions.tokens import KEY_PREFIX, PREFIX_LENGTH, SCOPES, hash_key
from tickets.models import Order, OrderPosition, Ticket

from .harness import LOWER, Row

ROUNDS = 3
BIG_TABLE = 1_000  # rows: a Seq Scan on a larger table is named in the row
PASSWORD = "scale-bench-password-1"
FOCUS_SLUG = "focus-conf"
ORGANIZER_EMAIL, STAFF_EMAIL = "organizer@focus.example", "staff@focus.example"
BASELINE = "the same path, small database (the focus event alone)"
EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
MEMORY_MAIL = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@dataclass(frozen=True)
class Site:
    """The rows around the focus event."""

    users: int
    events: int
    sessions: int
    orders: int
    notifications: int
    invites: int
    webhooks: int


SIZES = {
    "small": Site(users=10, events=3, sessions=30, orders=20, notifications=50, invites=5, webhooks=2),
    "large": Site(
        users=3_000, events=5_000, sessions=96_000, orders=47_000, notifications=198_000, invites=10_000, webhooks=1_000
    ),
}


@dataclass
class Focus:
    event_id: int
    ticket_id: int
    organizer_id: int
    organizer_token: str
    staff_token: str


def log(message, started):
    print(f"  [{time.monotonic() - started:5.0f} s] {message}", flush=True)


# Seeding ------------------------------------------------------------------------------------------


def new_users(rng, prefix, count, password, now):
    users = get_user_model()
    return users.objects.bulk_create(
        [
            users(
                username=f"{prefix}{number}@example.com",
                email=f"{prefix}{number}@example.com",
                first_name=f"First{number}",
                last_name=f"Last{number}",
                password=password,
                date_joined=now - timedelta(days=rng.randint(0, 1500)),
            )
            for number in range(count)
        ],
        batch_size=5_000,
    )


def event_parts(rng, events, *, tracks, rooms, speakers):
    """Tracks, rooms, speakers and tickets for each event; return {event id: (track ids, room ids, speaker ids)}."""
    made = {"tracks": [], "rooms": [], "speakers": []}
    tickets = []
    for event in events:
        made["tracks"] += [Track(event=event, name=f"Track {n}", color="#0d6efd") for n in range(tracks)]
        made["rooms"] += [Microlocation(event=event, name=f"Room {n}", floor=n % 4) for n in range(rooms)]
        made["speakers"] += [
            Speaker(event=event, name=f"Speaker {event.pk}-{n}", email=f"speaker{n}@example.com", bio="Bio " * 20)
            for n in range(speakers)
        ]
        tickets += [
            Ticket(event=event, type=Ticket.FREE, name="Community", quantity=100_000, max_order=10, position=0),
            Ticket(
                event=event, type=Ticket.PAID, name="Supporter", price=Decimal("49.00"), quantity=100_000, position=1
            ),
        ]
        if rng.random() < 0.3:
            tickets.append(
                Ticket(event=event, type=Ticket.DONATION, name="Donation", min_price=Decimal("5.00"), position=2)
            )
    Track.objects.bulk_create(made["tracks"], batch_size=5_000)
    Microlocation.objects.bulk_create(made["rooms"], batch_size=5_000)
    Speaker.objects.bulk_create(made["speakers"], batch_size=5_000)
    Ticket.objects.bulk_create(tickets, batch_size=5_000)
    parts = {event.pk: ([], [], [], []) for event in events}
    for index, kind in enumerate(("tracks", "rooms", "speakers")):
        for row in made[kind]:
            parts[row.event_id][index].append(row.pk)
    for ticket in tickets:
        parts[ticket.event_id][3].append(ticket)
    return parts


def new_sessions(rng, events_with_counts, parts):
    sessions = []
    for event, count in events_with_counts:
        tracks, rooms, _speakers, _tickets = parts[event.pk]
        span = int((event.ends_at - event.starts_at).total_seconds()) - 7_200
        for number in range(count):
            starts = (event.starts_at + timedelta(seconds=rng.randint(0, span))).replace(second=0, microsecond=0)
            sessions.append(
                Session(
                    event=event,
                    title=f"Talk {number}",
                    abstract="Abstract " * 30,
                    track_id=rng.choice(tracks),
                    microlocation_id=rng.choice(rooms),
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=rng.choice([30, 45, 60])),
                    state=rng.choices([Session.CONFIRMED, Session.CANCELLED, Session.DRAFT], [85, 5, 10])[0],
                )
            )
    Session.objects.bulk_create(sessions, batch_size=5_000)
    through = Session.speakers.through
    links = [
        through(session_id=session.pk, speaker_id=speaker)
        for session in sessions
        for speaker in rng.sample(parts[session.event_id][2], rng.choice([1, 1, 2]))
    ]
    through.objects.bulk_create(links, batch_size=10_000)


def new_orders(rng, order_events, parts, now, prefix):
    orders = []
    for number, event in enumerate(order_events):
        status = rng.choices([Order.PAID, Order.PENDING, Order.CANCELLED, Order.EXPIRED], [70, 10, 10, 10])[0]
        created = now - timedelta(days=rng.randint(0, 1000), seconds=rng.randint(0, 86_400))
        orders.append(
            Order(
                event=event,
                code=f"{prefix}{number:07d}",
                name=f"Buyer {number}",
                email=f"buyer{number}@example.com",
                status=status,
                total=Decimal("49.00"),
                expires_at=now + timedelta(days=2) if status == Order.PENDING else created + timedelta(days=3),
                paid_at=created if status == Order.PAID else None,
                created_at=created,
            )
        )
    Order.objects.bulk_create(orders, batch_size=5_000)
    positions = []
    for order in orders:
        for number in range(rng.choice([1, 1, 2, 3])):
            ticket = parts[order.event_id][3][rng.randrange(2)]
            positions.append(
                OrderPosition(
                    order_id=order.pk, ticket_id=ticket.pk, price=ticket.price, attendee_name=f"Attendee {number}"
                )
            )
    OrderPosition.objects.bulk_create(positions, batch_size=10_000)


def new_notifications(rng, user_ids, count, event_ids):
    actions = [action for action, _label in Notification.ACTIONS]
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=rng.choice(user_ids),
                title=f"Note {number}",
                message="<p>Something happened</p>",
                action=rng.choice(actions),
                url=f"/events/{rng.choice(event_ids)}/",
                has_read=rng.random() < 0.8,
            )
            for number in range(count)
        ],
        batch_size=5_000,
    )


def seed_focus(rng, password, now):
    """The focus event, its organizer, team, staff user, orders and the organizer's 2,000 notifications."""
    users = get_user_model()
    organizer = users.objects.create(username=ORGANIZER_EMAIL, email=ORGANIZER_EMAIL, password=password)
    staff = users.objects.create(
        username=STAFF_EMAIL, email=STAFF_EMAIL, password=password, is_staff=True, is_superuser=True
    )
    team = new_users(rng, "team", 5, password, now)
    starts = (now + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    event = Event.objects.create(
        name="Focus Conf",
        slug=FOCUS_SLUG,
        description="The event every path asks for. " * 10,
        location="Berlin",
        starts_at=starts,
        ends_at=starts + timedelta(days=3),
        timezone="Europe/Berlin",
        state=Event.PUBLISHED,
        payment_instructions="IBAN DE00 1234",
        created_by=organizer,
    )
    roles = {role.name: role for role in Role.objects.all()}
    EventRole.objects.bulk_create(
        [EventRole(user=organizer, event=event, role=roles["organizer"])]
        + [EventRole(user=member, event=event, role=roles["coorganizer"]) for member in team]
    )
    parts = event_parts(rng, [event], tracks=8, rooms=10, speakers=600)
    new_sessions(rng, [(event, 1_500)], parts)
    new_orders(rng, [event] * 3_000, parts, now, prefix="F")
    new_notifications(rng, [organizer.pk], 2_000, [event.pk])
    Webhook.objects.create(
        event=event, url="https://hooks.example.org/focus", kinds=["session.changed"], secret_encrypted="x"
    )
    free = next(ticket for ticket in parts[event.pk][3] if ticket.type == Ticket.FREE)
    return Focus(
        event_id=event.pk,
        ticket_id=free.pk,
        organizer_id=organizer.pk,
        organizer_token=Token.objects.create(user=organizer).key,
        staff_token=Token.objects.create(user=staff).key,
    )


def seed_site(rng, site, password, now):
    """Everything around the focus event, at the size given."""
    user_ids = [user.pk for user in new_users(rng, "user", site.users, password, now)]
    events = []
    for number in range(site.events):
        starts = now + timedelta(days=rng.randint(-1_100, 365), hours=rng.randint(0, 23))
        starts = starts.replace(minute=0, second=0, microsecond=0)
        events.append(
            Event(
                name=f"Event {number}",
                slug=f"event-{number}",
                description="A description " * 20,
                location="Somewhere",
                starts_at=starts,
                ends_at=starts + timedelta(days=rng.choice([1, 2, 3])),
                timezone=rng.choice(["UTC", "Europe/Berlin", "America/New_York"]),
                state=Event.PUBLISHED if rng.random() < 0.6 else Event.DRAFT,
                payment_instructions="IBAN DE00 1234",
                created_by_id=rng.choice(user_ids),
            )
        )
    Event.objects.bulk_create(events, batch_size=1_000)
    roles = {role.name: role for role in Role.objects.all()}
    others = [roles[name] for name in ("coorganizer", "track_organizer", "moderator")]
    event_roles = []
    for event in events:
        event_roles.append(EventRole(user_id=event.created_by_id, event=event, role=roles["organizer"]))
        for user_id in rng.sample(user_ids, min(len(user_ids), rng.randint(0, 3))):
            if user_id != event.created_by_id:
                event_roles.append(EventRole(user_id=user_id, event=event, role=rng.choice(others)))
    EventRole.objects.bulk_create(event_roles, batch_size=5_000)
    parts = event_parts(rng, events, tracks=3, rooms=3, speakers=8)
    weights = [rng.randint(5, 35) for _ in events]
    scale = site.sessions / sum(weights)
    new_sessions(rng, [(event, round(weight * scale)) for event, weight in zip(events, weights, strict=True)], parts)
    new_orders(rng, [rng.choice(events) for _ in range(site.orders)], parts, now, prefix="S")
    event_ids = [event.pk for event in events]
    new_notifications(rng, user_ids, site.notifications, event_ids)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="ci",
                prefix=f"{KEY_PREFIX}site{user_id:036d}"[:PREFIX_LENGTH],
                key_hash=hash_key(f"{KEY_PREFIX}site{user_id:036d}"),
                scopes=rng.sample(SCOPES, 6),
                created_at=now,
            )
            for user_id in user_ids
        ],
        batch_size=5_000,
    )
    Token.objects.bulk_create([Token(user_id=user_id, key=f"{user_id:040x}") for user_id in user_ids], batch_size=5_000)
    Webhook.objects.bulk_create(
        [
            Webhook(
                event=rng.choice(events),
                url="https://hooks.example.org/site",
                kinds=["session.changed", "order.paid"],
                secret_encrypted="x",
                created_by_id=rng.choice(user_ids),
            )
            for _ in range(site.webhooks)
        ]
    )
    RoleInvite.objects.bulk_create(
        [
            RoleInvite(
                email=f"invite{number}@example.com",
                event=rng.choice(events),
                role=rng.choice(others),
                token_hash=hash_token(f"invite{number}"),
                expires_at=now + timedelta(days=rng.randint(-300, 30)),
                state=rng.choice(["accepted", "declined", "cancelled"]),
            )
            for number in range(site.invites)
        ],
        batch_size=5_000,
    )


def seed(size):
    """Seed the default database (the focus event first, so its ids are the same in both); return Focus."""
    started, now = time.monotonic(), timezone.now()
    password = make_password(PASSWORD)
    with transaction.atomic():
        focus = seed_focus(random.Random(1), password, now)
    log(f"{size}: focus event", started)
    with transaction.atomic():
        seed_site(random.Random(2), SIZES[size], password, now)
    log(f"{size}: site", started)
    with connections["default"].cursor() as cursor:
        # received_at is auto_now_add: spread it over three years, as a site's history is.
        cursor.execute(
            "UPDATE notifications_notification SET received_at = now() - (id % 1100) * interval '1 day' "
            "- (id % 86400) * interval '1 second', read_at = CASE WHEN has_read THEN now() END"
        )
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"{size}: VACUUM (ANALYZE)", started)
    return focus


# Requests -----------------------------------------------------------------------------------------


@dataclass
class Path:
    """One request: its label (the row names it), who asks, how, and the status it must answer."""

    label: str
    who: str  # anonymous, organizer (session), token (organizer's token), staff (staff token)
    method: str
    url: str
    expect: int
    data: dict | None = None
    json_body: bool = False
    write: bool = False  # run inside a transaction that is rolled back
    conditional: bool = False  # asked again with the ETag of a first answer (a 304)
    fresh_data: object = None  # a function of a counter: a body that differs per call (sign-up)


def paths(focus):
    event, slug = focus.event_id, FOCUS_SLUG
    order = {
        "name": "Scale Buyer",
        "email": "buyer@scale.example",
        "positions": [{"ticket": focus.ticket_id, "attendee_name": "Scale Buyer"}],
    }
    return [
        Path(
            "POST /api/v1/events/<id>/orders/ (place an order; rolled back)",
            "token",
            "post",
            f"/api/v1/events/{event}/orders/",
            201,
            data=order,
            json_body=True,
            write=True,
        ),
        Path("GET /events/<id>/orders/ (organizer's orders list)", "organizer", "get", f"/events/{event}/orders/", 200),
        Path("GET /events/<id>/orders/attendees.csv", "organizer", "get", f"/events/{event}/orders/attendees.csv", 200),
        Path("GET /e/<slug>/ (public event page)", "anonymous", "get", f"/e/{slug}/", 200),
        Path("GET /e/<slug>/schedule/", "anonymous", "get", f"/e/{slug}/schedule/", 200),
        Path("GET /e/<slug>/schedule.ics", "anonymous", "get", f"/e/{slug}/schedule.ics", 200),
        Path("GET /e/<slug>/schedule.xml", "anonymous", "get", f"/e/{slug}/schedule.xml", 200),
        Path(
            "GET /events/<id>/sessions/ (organizer's sessions, track and room joined)",
            "organizer",
            "get",
            f"/events/{event}/sessions/",
            200,
        ),
        Path(
            "GET /api/v1/events/<id>/sessions/?expand=speakers,track,microlocation",
            "token",
            "get",
            f"/api/v1/events/{event}/sessions/?expand=speakers,track,microlocation",
            200,
        ),
        Path("GET /api/v1/events/ (staff: every event)", "staff", "get", "/api/v1/events/", 200),
        Path(
            "GET /api/v1/events/?ordering=-starts_at (staff)",
            "staff",
            "get",
            "/api/v1/events/?ordering=-starts_at",
            200,
        ),
        Path(
            "POST /api/v1/auth/token/ (log-in by address; rolled back)",
            "anonymous",
            "post",
            "/api/v1/auth/token/",
            200,
            data={"username": ORGANIZER_EMAIL.title(), "password": PASSWORD},
            json_body=True,
            write=True,
        ),
        Path(
            "POST /accounts/login/ (log-in form; rolled back)",
            "anonymous",
            "post",
            "/accounts/login/",
            302,
            data={"username": ORGANIZER_EMAIL.title(), "password": PASSWORD},
            write=True,
        ),
        Path(
            "POST /accounts/signup/ (rolled back)",
            "anonymous",
            "post",
            "/accounts/signup/",
            302,
            write=True,
            fresh_data=lambda n: {
                "email": f"new{n}@scale.example",
                "password1": "a-Long-passw0rd-xyz",
                "password2": "a-Long-passw0rd-xyz",
            },
        ),
        Path(
            "GET /api/v1/events/<id>/ 304, token (control)",
            "token",
            "get",
            f"/api/v1/events/{event}/",
            304,
            conditional=True,
        ),
        Path("GET /notifications/ (inbox of 2,000; control)", "organizer", "get", "/notifications/", 200),
        Path("GET /api/v1/events/<id>/sessions/ (control)", "token", "get", f"/api/v1/events/{event}/sessions/", 200),
    ]


class Rollback(Exception):
    pass


class Recorder:
    """An execute wrapper keeping every statement sent: (sql, params, many)."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        kept = None if many or params is None else (dict(params) if isinstance(params, dict) else tuple(params))
        self.statements.append((sql, kept, many))
        return execute(sql, params, many, context)


def clients(focus):
    users = get_user_model()
    organizer = Client(HTTP_HOST="127.0.0.1")
    organizer.force_login(users.objects.get(pk=focus.organizer_id), backend="eventsite.backends.EmailBackend")
    return {
        "anonymous": Client(HTTP_HOST="127.0.0.1"),
        "organizer": organizer,
        "token": Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {focus.organizer_token}"),
        "staff": Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {focus.staff_token}"),
    }


def request(client, path, headers, calls):
    data = path.fresh_data(next(calls)) if path.fresh_data else path.data
    if path.method == "get":
        response = client.get(path.url, headers=headers)
    elif path.json_body:
        response = client.post(path.url, json.dumps(data), content_type="application/json", headers=headers)
    else:
        response = client.post(path.url, data, headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)  # the statements of a streamed answer run while it is read
    response.close()
    return response


def answer(client, path, headers, calls):
    if not path.write:
        return request(client, path, headers, calls)
    if path.who == "anonymous":
        # A new visitor each time: a session made by a rolled-back log-in exists in no database.
        client = Client(HTTP_HOST="127.0.0.1")
    try:
        with transaction.atomic():
            response = request(client, path, headers, calls)
            raise Rollback(response)
    except Rollback as rolled_back:
        return rolled_back.args[0]


def record(focus):
    """Make every path's request twice; return {label: the statements of the second}."""
    calls, found = itertools.count(), {}
    matrix.refresh()  # this process's copy of the matrix, read from this database
    by_who = clients(focus)
    for path in paths(focus):
        client, headers = by_who[path.who], {}
        if path.conditional:
            headers = {"If-None-Match": request(client, path, {}, calls).headers["ETag"]}
        answer(client, path, headers, calls)  # warm-up: imports, the process's copies, prepared statements
        recorder = Recorder()
        with connections["default"].execute_wrapper(recorder):
            response = answer(client, path, headers, calls)
        if response.status_code != path.expect:
            raise RuntimeError(f"{path.label}: answered {response.status_code}, not {path.expect}")
        found[path.label] = recorder.statements
    return found


# EXPLAIN ANALYZE ----------------------------------------------------------------------------------


def big_tables(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND reltuples > %s", [BIG_TABLE])
        return {name: int(rows) for name, rows in cursor.fetchall()}


def seq_scans(node, tables, found):
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in tables:
        found.add(node["Relation Name"])
    for child in node.get("Plans", ()):
        seq_scans(child, tables, found)
    return found


def explain(alias, sql, params, tables):
    """Return (execution ms, big tables read by Seq Scan) of one statement, or None if it cannot be explained."""
    if not sql.lstrip().upper().startswith(EXPLAINABLE):
        return None
    try:
        with transaction.atomic(using=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
            raise Rollback(plan)
    except Rollback as rolled_back:
        plan = rolled_back.args[0]
    except DatabaseError as error:
        print(f"  cannot EXPLAIN on {alias}: {str(error).splitlines()[0][:120]}: {' '.join(sql.split())[:160]}")
        return None
    [top] = json.loads(plan) if isinstance(plan, str) else plan
    return top["Execution Time"], seq_scans(top["Plan"], tables, set())


@dataclass
class Measured:
    queries: int = 0
    best_ms: float = float("inf")
    scans: set = field(default_factory=set)  # (table, rows) read by a Seq Scan, of tables over BIG_TABLE rows
    skipped: Counter = field(default_factory=Counter)  # statements not explained, by their first word


def first_word(sql, many):
    return "executemany" if many else (sql.split(None, 1) or ["?"])[0].upper()


def measure(recorded, aliases):
    """EXPLAIN ANALYZE every path's statements ROUNDS times, small and large in turn; return {(label, size): …}."""
    tables = {size: big_tables(alias) for size, alias in aliases.items()}
    result = {
        (label, size): Measured(queries=len(recorded[size][label])) for label in recorded["small"] for size in aliases
    }
    for _round in range(ROUNDS):
        for label in recorded["small"]:
            for size, alias in aliases.items():
                measured, total, skipped = result[label, size], 0.0, Counter()
                for sql, params, many in recorded[size][label]:
                    found = None if many else explain(alias, sql, params, tables[size])
                    if found is None:
                        skipped[first_word(sql, many)] += 1
                        continue
                    total += found[0]
                    measured.scans |= {(name, tables[size][name]) for name in found[1]}
                measured.best_ms, measured.skipped = min(measured.best_ms, total), skipped
    return result


# The run ------------------------------------------------------------------------------------------


@contextmanager
def default_database(name):
    """Point Django's default connection at another database of the same server for a while."""
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@contextmanager
def extra_connections(names):
    """Connections to the given databases under aliases of their own: {size: alias}."""
    default = connections["default"].settings_dict
    aliases = {size: f"scale_{size}" for size in names}
    for size, alias in aliases.items():
        connections.settings[alias] = {**default, "NAME": names[size]}
    try:
        yield aliases
    finally:
        for alias in aliases.values():
            if hasattr(connections._connections, alias):
                connections[alias].close()
                del connections[alias]
            connections.settings.pop(alias, None)


def queries(count):
    return "1 query" if count == 1 else f"{count} queries"


def scans(found):
    return ", ".join(f"{name} ({rows:,} rows)" for name, rows in sorted(found))


def note(large, small):
    """The queries of the path, what was not explained, the Seq Scans on big tables of each side."""
    parts = [queries(large.queries) + ("" if large.queries == small.queries else f", small {small.queries}")]
    if large.skipped:
        words = ", ".join(f"{word} x{count}" for word, count in sorted(large.skipped.items()))
        parts.append(f"not explained: {words}")
    if large.scans:
        parts.append(f"Seq Scan on {scans(large.scans)}")
    only_small = {(name, rows) for name, rows in small.scans if name not in {name for name, _rows in large.scans}}
    if only_small:
        parts.append(f"small: Seq Scan on {scans(only_small)}")
    return "; ".join(parts)


def run(bench):
    from .run import admin_connection

    started = time.monotonic()
    names = {size: f"bench_scale_{size}_{os.getpid()}_{uuid.uuid4().hex[:6]}" for size in SIZES}
    with admin_connection(bench.server_url) as admin:
        admin.execute(f'CREATE DATABASE "{names["small"]}"')
    try:
        recorded = {}
        with override_settings(MAILERS=MEMORY_MAIL):
            with default_database(names["small"]):
                call_command("migrate", verbosity=0)
            log("small: migrated", started)
            with admin_connection(bench.server_url) as admin:  # the large one starts as a copy of the migrated small
                admin.execute(f'CREATE DATABASE "{names["large"]}" TEMPLATE "{names["small"]}"')
            for size in ("small", "large"):
                # A cache of its own per database (sessions, throttles), in this process's memory.
                cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"scale-{size}"}
                with default_database(names[size]), override_settings(CACHES={"default": cache}):
                    focus = seed(size)
                    recorded[size] = record(focus)
                log(f"{size}: requests recorded", started)
        with extra_connections(names) as aliases:
            result = measure(recorded, aliases)
        log("EXPLAIN ANALYZE done", started)
    finally:
        with admin_connection(bench.server_url) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rows = []
    for label in recorded["small"]:
        large, small = result[label, "large"], result[label, "small"]
        rows.append(
            Row(
                "scale",
                f"{label}: SQL execution time, sum of EXPLAIN ANALYZE, min of {ROUNDS}, large site",
                large.best_ms,
                "ms",
                BASELINE,
                small.best_ms,
                LOWER,
                note=note(large, small),
            )
        )
    return rows
