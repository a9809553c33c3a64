"""Load demo accounts and events; running it again changes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.accounts import mark_verified
from events.models import Event, Microlocation, Session, Speaker, Track
from events.services import create_event
from permissions.models import EventRole
from permissions.names import COORGANIZER, MODERATOR, TRACK_ORGANIZER
from permissions.services import grant_role
from tickets.models import Order, Ticket
from tickets.orders.services import Line, place_order

PASSWORD = "demo-password-1"
PEOPLE = [
    # email, first name, last name, is_staff, is_superuser
    ("superadmin@example.com", "Sam", "Super", True, True),
    ("admin@example.com", "Ada", "Admin", True, False),
    ("alice@example.com", "Alice", "Organizer", False, False),
    ("bob@example.com", "Bob", "Coorganizer", False, False),
    ("carol@example.com", "Carol", "Moderator", False, False),
    ("dave@example.com", "Dave", "Attendee", False, False),
]


class Command(BaseCommand):
    help = "Create demo users (password: demo-password-1) and two events with roles. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        user_model = get_user_model()
        for email, first, last, staff, superuser in PEOPLE:
            user, created = user_model.objects.get_or_create(
                email=email,
                defaults={
                    "username": email,
                    "first_name": first,
                    "last_name": last,
                    "is_staff": staff,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            # The demo addresses are taken as proven (no mailbox reads them).
            mark_verified(user=user, email=user.email)
            users[email.split("@")[0]] = user

        start = (timezone.now() + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
        conference = self._event(
            users["alice"],
            slug="open-source-summit",
            name="Open Source Summit",
            description="Two days of talks and workshops about open source.",
            location="Berlin",
            starts_at=start,
            ends_at=start + timedelta(days=1, hours=9),
            timezone="Europe/Berlin",
        )
        meetup = self._event(
            users["bob"],
            slug="django-meetup",
            name="Django Meetup",
            description="An evening of Django talks.",
            location="Online",
            starts_at=start + timedelta(days=14, hours=9),
            ends_at=start + timedelta(days=14, hours=12),
            timezone="UTC",
        )
        if not Track.objects.filter(event=conference).exists():
            self._schedule(conference, start)
        if not Ticket.objects.filter(event=conference).exists():
            Ticket.objects.bulk_create(
                [
                    Ticket(event=conference, type=Ticket.FREE, name="Community", quantity=200, position=0),
                    Ticket(event=conference, type=Ticket.PAID, name="Supporter", price=Decimal("49.00"), position=1),
                    Ticket(
                        event=conference, type=Ticket.DONATION, name="Donation", min_price=Decimal("5.00"), position=2
                    ),
                ]
            )
        main = Track.objects.filter(event=conference, name="Main track").first()
        self._role(users["bob"], conference, COORGANIZER, users["alice"])
        self._role(users["carol"], conference, MODERATOR, users["alice"])
        self._role(users["dave"], conference, TRACK_ORGANIZER, users["alice"], tracks=[main])
        self._role(users["alice"], meetup, COORGANIZER, users["bob"])
        if conference.state != Event.PUBLISHED:
            conference.state = Event.PUBLISHED
            conference.save()
        if not conference.payment_instructions:
            conference.payment_instructions = (
                "Bank transfer to Open Source Summit e.V., IBAN DE00 1234 5678 9000 0000 00."
            )
            conference.save()
        self._orders(conference)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users, 2 events (password {PASSWORD})."))

    def _schedule(self, conference, start):
        """Tracks, rooms, speakers and a two-day schedule: one session cancelled, one still a draft."""
        main = Track.objects.create(event=conference, name="Main track", color="#0d6efd")
        workshops = Track.objects.create(event=conference, name="Workshops", color="#198754")
        hall = Microlocation.objects.create(event=conference, name="Hall A", floor=0)
        lab = Microlocation.objects.create(event=conference, name="Lab", floor=1)
        grace = Speaker.objects.create(event=conference, name="Grace Hopper", organisation="Navy")
        linus = Speaker.objects.create(event=conference, name="Linus Torvalds", organisation="Linux Foundation")
        ada = Speaker.objects.create(event=conference, name="Ada Lovelace", bio="Wrote the first program.")
        plan = [
            # title, track, room, hours after the start, length in minutes, speakers, state
            ("Keynote", main, hall, 1, 60, [grace], Session.CONFIRMED),
            ("Kernel maintainership", main, hall, 2.5, 45, [linus], Session.CONFIRMED),
            ("Writing your first patch", workshops, lab, 2, 120, [linus], Session.CONFIRMED),
            ("Analytical engines", main, hall, 4, 45, [ada], Session.CANCELLED),
            ("Compilers for everyone", workshops, lab, 5, 90, [grace], Session.CONFIRMED),
            ("Lightning talks", main, hall, 24, 60, [], Session.CONFIRMED),
            ("Packaging clinic", workshops, lab, 25, 90, [ada, linus], Session.CONFIRMED),
            ("Closing", main, hall, 27, 30, [grace], Session.CONFIRMED),
            ("Secret surprise", main, hall, 28, 30, [], Session.DRAFT),
        ]
        for title, track, room, hours, minutes, speakers, state in plan:
            starts = start + timedelta(hours=hours)
            session = Session.objects.create(
                event=conference,
                title=title,
                abstract=f"What {title.lower()} is about.",
                track=track,
                microlocation=room,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes),
                state=state,
            )
            session.speakers.set(speakers)

    def _orders(self, event):
        """Two orders through the checkout's service: a free one (paid at once) and a paid one waiting for payment."""
        if Order.objects.filter(event=event).exists():
            return
        tickets = {ticket.name: ticket for ticket in Ticket.objects.filter(event=event)}
        for name, email, ticket_name in [
            ("Erin Example", "erin@example.com", "Community"),
            ("Frank Example", "frank@example.com", "Supporter"),
        ]:
            place_order(event=event, name=name, email=email, lines=[Line(tickets[ticket_name].pk, name)])

    def _event(self, user, slug, **fields):
        event = Event.objects.filter(slug=slug).first()
        return event or create_event(user=user, slug=slug, **fields)

    def _role(self, user, event, role_name, by, tracks=None):
        if not EventRole.objects.filter(user=user, event=event, role__name=role_name).exists():
            grant_role(user=user, event=event, role_name=role_name, granted_by=by, tracks=tracks)
