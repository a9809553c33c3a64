import zoneinfo
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Exists, F, Q
from django.urls import reverse
from django.utils import timezone

from core.money import CURRENCIES, DEFAULT_CURRENCY
from core.names import unique_name_per_event
from core.versioning import VersionedModel

# An event's times lie where every time zone can show them (a year near 1 or 9999 overflowed Python's dates on
# every page that showed it: the home page too), and it lasts at most a year (its schedule lists every day).
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)
LONGEST = timedelta(days=366)
# Buyers of a paid or donation ticket are told to pay: they must be told how before such a ticket is on sale.
NO_PAYMENT_INSTRUCTIONS = "Say how buyers pay (payment instructions) before selling paid or donation tickets."


# In the time zone database but no place's time: "localtime" is whatever the server is set to, "Factory" a placeholder.
NOT_A_PLACE = frozenset({"Factory", "localtime"})


def same_local_time(moment, old, new):
    """The moment that reads in zone ``new`` as ``moment`` reads in zone ``old`` (None stays None)."""
    if moment is None:
        return None
    return timezone.make_aware(timezone.make_naive(moment, old), new)


def validate_timezone(value):
    if value not in zoneinfo.available_timezones() or value in NOT_A_PLACE:
        raise ValidationError(f"{value!r} is not a known time zone.", code="invalid_timezone")


class Event(VersionedModel):
    DRAFT, PUBLISHED = "draft", "published"
    STATES = [(DRAFT, "Draft"), (PUBLISHED, "Published")]

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    state = models.CharField(max_length=10, choices=STATES, default=DRAFT)
    background = models.ImageField(upload_to="backgrounds/", blank=True, max_length=200)
    # What buyers of paid and donation tickets read: how to pay (e.g. bank transfer details).
    payment_instructions = models.TextField(
        blank=True,
        help_text="Shown to buyers of paid and donation tickets, e.g. your bank account; "
        "the order code is added as the payment reference.",
    )
    currency = models.CharField(
        max_length=3,
        choices=[(code, code) for code in CURRENCIES],
        default=DEFAULT_CURRENCY,
        help_text="What buyers pay in; it cannot change once the event has orders.",
    )
    payment_days = models.PositiveSmallIntegerField(
        "days to pay",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="An unpaid order expires after this many days and its tickets go back on sale.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="created_events"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    version_scope_field = "id"
    version_list, service = "event", "event"
    version_global_keys = ("site.all.events",)
    change_name = "event"

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start")]
        indexes = [
            models.Index(fields=["state", "starts_at"]),
            # The home page's upcoming events: those not ended yet, however many have.
            models.Index(fields=["state", "ends_at"], name="event_state_ends"),
            # The staff's list of every event, by date either way, a page at a time.
            models.Index(fields=["starts_at", "id"], name="event_starts"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {
            name: f"Choose a time between the years {EARLIEST.year} and {LATEST.year - 1}."
            for name in ("starts_at", "ends_at")
            if getattr(self, name) is not None and not EARLIEST <= getattr(self, name) < LATEST
        }
        if not errors and self.starts_at and self.ends_at:
            if self.ends_at <= self.starts_at:
                errors["ends_at"] = "The event must end after it starts."
            elif self.ends_at - self.starts_at > LONGEST:
                errors["ends_at"] = "An event lasts at most a year (366 days): make one event per edition."
            elif self.pk:
                errors.update(self._left_outside_its_dates())
        # A published event's instructions may not be emptied while it sells tickets to pay for.
        if self.pk and self.is_published and self.sells_without_saying_how():
            errors["payment_instructions"] = NO_PAYMENT_INSTRUCTIONS
        if errors:
            raise ValidationError(errors)

    # Set by the site's forms, which read times as local times of the event's zone: when they change the zone,
    # its sessions and ticket sales keep their local times too. The API speaks in instants and moves nothing.
    keep_local_times = False

    def check_currency(self, currency):
        """Raise ValidationError if ``currency`` is another than the event's and it has orders (one query then).

        Orders keep their amounts, not a currency of their own: changing it would rewrite what buyers paid.
        """
        if self.pk and currency != self.currency and self.orders.exists():
            raise ValidationError(
                f"This event has orders in {self.currency}, so its currency cannot change.", code="currency_fixed"
            )

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        event = super().from_db(db, field_names, values, **kwargs)
        event._stored_zone = event.__dict__.get("timezone")  # not loaded (deferred): taken as unchanged
        return event

    def zone_change(self):
        """(stored zone, new zone) when this edit changed the time zone and keeps local times, else None."""
        stored = getattr(self, "_stored_zone", None)
        if not (self.keep_local_times and self.pk and stored and stored != self.timezone):
            return None
        try:
            return zoneinfo.ZoneInfo(stored), zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # refused by the field's validator
            return None

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        if fields is None or "timezone" in fields:
            self._stored_zone = self.__dict__.get("timezone")

    def save(self, **kwargs):
        """Save; when a form changed the time zone, move its sessions and ticket sales to keep their local times.

        An organizer who sets the zone after planning (the wizard starts at UTC) meant the times as typed: a
        session at 10:00 stays at 10:00 in the new zone, as the event's own dates on the form do. Two reads and
        two bulk writes, only then.
        """
        fields = kwargs.get("update_fields")
        change = self.zone_change() if fields is None or "timezone" in fields else None
        with transaction.atomic(savepoint=False):
            super().save(**kwargs)
            if change:
                self._keep_local_times(*change)
        self._stored_zone = self.timezone

    save.alters_data = True

    def _keep_local_times(self, old, new):
        sessions = list(Session.objects.filter(event_id=self.pk))
        for session in sessions:
            session.starts_at, session.ends_at = (
                same_local_time(session.starts_at, old, new),
                same_local_time(session.ends_at, old, new),
            )
        Session.objects.bulk_update(sessions, ["starts_at", "ends_at"])
        tickets = list(self.tickets.filter(Q(sales_starts_at__isnull=False) | Q(sales_ends_at__isnull=False)))
        for ticket in tickets:
            ticket.sales_starts_at = same_local_time(ticket.sales_starts_at, old, new)
            ticket.sales_ends_at = same_local_time(ticket.sales_ends_at, old, new)
        self.tickets.bulk_update(tickets, ["sales_starts_at", "sales_ends_at"])

    def _left_outside_its_dates(self):
        """{field: error} for sessions or ticket sales that dates being changed would leave outside; one query.

        With the time zone changed, sessions and sales will keep their local times (save()): the dates are
        compared as the same local times in the stored zone.
        """
        starts, ends = self.starts_at, self.ends_at
        change = self.zone_change()
        if change:
            old, new = change
            starts, ends = same_local_time(starts, new, old), same_local_time(ends, new, old)
        sessions = Session.objects.filter(event_id=self.pk).filter(Q(starts_at__lt=starts) | Q(ends_at__gt=ends))
        sales = self.tickets.filter(Q(sales_ends_at__gt=ends) | Q(sales_starts_at__gte=ends))
        [(sessions_outside, sales_outside)] = Event.objects.filter(pk=self.pk).values_list(
            Exists(sessions), Exists(sales)
        )
        errors = {}
        if sessions_outside:
            errors["starts_at"] = (
                "Some sessions would fall outside these dates: move them first (Sessions lists them by time)."
            )
        if sales_outside:
            errors["ends_at"] = "Some tickets would be on sale after the event ends: change their sales dates first."
        return errors

    def get_absolute_url(self):
        return reverse("public:event", args=[self.slug])

    def ticket_types(self):
        """Return the set of the types of this event's tickets (one query)."""
        return set(self.tickets.order_by().values_list("type", flat=True).distinct())

    def sells_without_saying_how(self, kinds=None):
        """Whether tickets of these types (by default this event's, read only when it matters: one query) include
        one to pay for (paid or donation) while buyers are not told how (no payment instructions)."""
        if self.payment_instructions.strip():
            return False
        kinds = self.ticket_types() if kinds is None else kinds
        return any(kind != self.tickets.model.FREE for kind in kinds)

    @property
    def is_published(self):
        return self.state == self.PUBLISHED

    def local_time(self, moment):
        """A moment as messages show it: in the event's time zone, named ("2026-09-11 18:00 Europe/Berlin")."""
        try:
            zone = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


class EventService(VersionedModel):
    """Base of the services of an event (tracks, sessions, ...)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="%(class)ss")
    # When the row last changed (any write, bulk ones too): the API's ?modified_since= reads it.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# New tracks take the first of these their event's tracks do not have, so that the schedule tells them apart.
TRACK_COLORS = ("#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#0dcaf0", "#6c757d")


class Track(EventService):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    color = models.CharField(
        max_length=7,
        default="#0d6efd",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB.")],
    )
    location = models.CharField(max_length=200, blank=True)

    version_list, service = "tracks", "track"
    change_name = "track"
    # A track-limited role reaches the tracks with these ids.
    track_attname = "id"

    class Meta:
        ordering = ["name", "id"]
        constraints = [unique_name_per_event("track", "Another track of this event has this name.")]

    def __str__(self):
        return self.name

    @classmethod
    def next_color(cls, event):
        """The first colour of TRACK_COLORS none of the event's tracks has, or the palette in turn (one query)."""
        used = [color.lower() for color in cls.objects.filter(event=event).values_list("color", flat=True)]
        free = [color for color in TRACK_COLORS if color not in used]
        return free[0] if free else TRACK_COLORS[len(used) % len(TRACK_COLORS)]


class Microlocation(EventService):
    """A room of the event (people say "room"; the model, URLs and API keep the original name)."""

    name = models.CharField(max_length=200)
    floor = models.IntegerField(null=True, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    version_list, service = "microlocations", "microlocation"
    change_name = "room"

    class Meta:
        ordering = ["name", "id"]
        verbose_name, verbose_name_plural = "room", "rooms"
        constraints = [unique_name_per_event("room", "Another room of this event has this name.")]

    def __str__(self):
        return self.name


class Speaker(EventService):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    bio = models.TextField(blank=True)
    organisation = models.CharField(max_length=200, blank=True)

    version_list, service = "speakers", "speaker"
    change_name = "speaker"

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Sponsor(EventService):
    name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    level = models.CharField(max_length=50, blank=True, help_text="e.g. Gold, Silver, Bronze")
    logo = models.ImageField(upload_to="sponsors/", blank=True, max_length=200)

    version_list, service = "sponsors", "sponsor"
    change_name = "sponsor"

    class Meta:
        ordering = ["level", "name", "id"]

    def __str__(self):
        return self.name


class Session(EventService):
    DRAFT, CONFIRMED, CANCELLED = "draft", "confirmed", "cancelled"
    STATES = [(DRAFT, "Draft"), (CONFIRMED, "Confirmed"), (CANCELLED, "Cancelled")]
    # What the public sees of a published event: confirmed sessions, and cancelled ones marked as such.
    PUBLIC_STATES = (CONFIRMED, CANCELLED)

    title = models.CharField(max_length=200)
    abstract = models.TextField(blank=True)
    track = models.ForeignKey(Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    microlocation = models.ForeignKey(
        Microlocation, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions", verbose_name="room"
    )
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(
        max_length=10,
        choices=STATES,
        default=DRAFT,
        help_text="Only confirmed and cancelled sessions of a published event are public.",
    )
    # The feeds' LAST-MODIFIED and DTSTAMP (calendar clients compare them with SEQUENCE).
    updated_at = models.DateTimeField(auto_now=True)

    version_list, service = "sessions", "session"
    change_name = "session"
    track_attname = "track_id"
    # Draft sessions are the team's: their edits leave what the public observes alone.
    public_rows = {"state": PUBLIC_STATES}

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start")]

    def __str__(self):
        return self.title

    @property
    def is_cancelled(self):
        return self.state == self.CANCELLED

    def clean(self):
        errors = {}
        event = self.event if self.event_id else None
        timed = self.starts_at is not None and self.ends_at is not None  # a form calls clean() with a time missing
        if timed and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The session must end after it starts."
        elif timed and event and not (event.starts_at <= self.starts_at and self.ends_at <= event.ends_at):
            errors["starts_at"] = (
                "The session must take place within the event's dates "
                f"({event.local_time(event.starts_at)} to {event.local_time(event.ends_at)})."
            )
        if event and self.track_id and self.track.event_id != self.event_id:
            errors["track"] = "This track belongs to another event."
        if event and self.microlocation_id and self.microlocation.event_id != self.event_id:
            errors["microlocation"] = "This room belongs to another event."
        if not errors and event and self._holds_room():
            clash = self._clash()
            if clash is not None:
                errors["microlocation"] = self._clash_message(clash)
        if errors:
            raise ValidationError(errors)

    def save(self, **kwargs):
        """Save; a confirmed session's room is checked again under the room's lock (ValidationError if taken).

        clean() checked it before, but two sessions saved at the same moment into one slot would both have
        passed: the lock makes the second wait for the first, then see it.
        """
        using = kwargs.get("using") or "default"
        clash = None
        with transaction.atomic(using=using, savepoint=False):
            if self._holds_room():
                list(Microlocation.objects.using(using).select_for_update().filter(pk=self.microlocation_id))
                clash = self._clash(using)
            if clash is None:
                super().save(**kwargs)
        # Raised outside the block: nothing was written, so the caller's transaction stays usable.
        if clash is not None:
            raise ValidationError({"microlocation": self._clash_message(clash)})

    save.alters_data = True

    def _holds_room(self):
        """Whether the session takes its room for its time: confirmed, in a room, with both times."""
        timed = self.starts_at is not None and self.ends_at is not None
        return timed and self.microlocation_id is not None and self.state == self.CONFIRMED

    def _clash_message(self, clash):
        zone = zoneinfo.ZoneInfo(self.event.timezone)
        starts, ends = clash.starts_at.astimezone(zone), clash.ends_at.astimezone(zone)
        return (
            f"{self.microlocation.name} holds “{clash.title}” then ({starts:%H:%M}-{ends:%H:%M} on "
            f"{starts.day} {starts:%b %Y}): choose another room or time."
        )

    def _clash(self, using="default"):
        """Another confirmed session in this session's room at an overlapping time, or None; one query.

        Drafts may compete for a slot; two confirmed sessions cannot share a room (the schedule drew them on
        top of each other). Touching ends (10:00-11:00, 11:00-12:00) do not overlap.
        """
        others = Session.objects.using(using).filter(
            microlocation_id=self.microlocation_id,
            state=self.CONFIRMED,
            starts_at__lt=self.ends_at,
            ends_at__gt=self.starts_at,
        )
        return others.exclude(pk=self.pk).only("title", "starts_at", "ends_at").first()


class PersonalSchedule(models.Model):
    """A visitor's starred sessions as a subscribable feed; found by the hash of its token, never the token.

    No account is needed: the token in the feed's URL is the credential.
    Deleting the row revokes the feed (its URL answers 404 from then on).
    """

    MAX_SESSIONS = 200

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="personal_schedules")
    token_hash = models.CharField(max_length=64, unique=True)
    sessions = models.ManyToManyField(Session, related_name="personal_schedules")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves when the visitor changes the set of sessions: part of the feed's ETag and Last-Modified.
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Personal schedule {self.pk} of {self.event}"


# Webhooks live in events/webhooks/; their models are registered with the app here.
from .webhooks.models import Webhook, WebhookDelivery  # noqa: E402, F401
