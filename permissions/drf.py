"""The API front door of the permission engine: one permission class, and the event-scoped viewset base.

Every view under /api/v1/events/ names its ``service``; the permission class
maps the action (or method) to an operation and asks the engine. The event
of the URL is loaded once, with the user's permissions, by the view's
``event`` property; views then use ``self.event``.
"""

from functools import cached_property

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.conditional import ConditionalMixin
from core.idempotency import IdempotentCreateMixin
from core.serializers import prefetch_ids
from core.versioning import event_resources, loaded_counter, read_counters

from .engine import event_id_or_none, load_event, load_event_by_slug, permissions_for, site_permissions
from .names import CREATE, DELETE, READ, TRACK_SCOPED_SERVICES, UPDATE, check_operation, check_service

METHOD_OPERATIONS = {
    "GET": READ,
    "HEAD": READ,
    "OPTIONS": READ,
    "POST": CREATE,
    "PUT": UPDATE,
    "PATCH": UPDATE,
    "DELETE": DELETE,
}
TRACK_DENIED = "Your role does not reach this track."


def track_of(obj):
    """Return the track id an object of a track-scoped service sits in (None: in no track)."""
    attname = getattr(type(obj), "track_attname", None)
    return getattr(obj, attname) if attname else None


class EventScopedViewMixin:
    """For views under /events/{event_pk}/ (or /events/{pk}/): the event, loaded once, and its permissions.

    The view names its ``service``; ``public_read`` lets anyone read a
    published event's objects (the public schedule); ``operations`` maps
    extra actions or methods to the operation they need (e.g. ``{"publish":
    UPDATE}``). A view without the event in its URL (the events list and
    create) is asked about the site: staff read, the super admin does
    everything, anyone signed in creates events.
    """

    service = None
    public_read = True
    event_url_kwarg = "event_pk"
    # Public pages of an event name it by slug (/e/<slug>/...): set this to the URL kwarg holding it.
    event_slug_kwarg = None
    operations = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.service is not None:
            check_service(cls.service)
        for operation in cls.operations.values():
            check_operation(operation)

    @property
    def for_schema_only(self):
        """drf-spectacular builds the schema with a fake view that has no URL kwargs."""
        return getattr(self, "swagger_fake_view", False)

    def event_id_in_url(self):
        """Return the event id the URL names (None: no event, named by slug, or not an id); read by the
        token authentication to fetch the event with the token's user (permissions/authentication.py)."""
        if self.event_slug_kwarg:
            return None
        return event_id_or_none(self.kwargs.get(self.event_url_kwarg))

    @property
    def has_event(self):
        return (self.event_slug_kwarg or self.event_url_kwarg) in self.kwargs

    @cached_property
    def event(self):
        """The event of the URL, read once with the user's permissions; 404 when there is none."""
        if self.event_slug_kwarg:
            event = load_event_by_slug(self.request.user, self.kwargs[self.event_slug_kwarg])
        else:
            event = load_event(self.request.user, self.kwargs[self.event_url_kwarg])
        if event is None:
            raise Http404("No such event.")
        return event

    @property
    def event_permissions(self):
        if not self.has_event:
            return site_permissions(self.request.user)
        return permissions_for(self.request.user, self.event)

    def event_counters(self, keys):
        """Return the values of the event's counters ``keys``, in order: as the engine read them with the event
        (no query of their own), or read now when they were not (or a write of this request moved them)."""
        loaded = [loaded_counter(self.event, key) for key in keys]
        return tuple(read_counters(keys).values()) if None in loaded else tuple(loaded)

    def operation(self):
        """The operation the request asks for: the view's own for its action or method, else the method's.

        (A viewset's standard actions each have one method: list and retrieve GET, create POST, update
        PUT, partial_update PATCH, destroy DELETE, so the method says what the action would.)
        """
        method = self.request.method
        return (
            self.operations.get(getattr(self, "action", None))
            or self.operations.get(method)
            or METHOD_OPERATIONS.get(method, READ)
        )

    def reads_publicly(self):
        """The request reads an object of a published event the user holds no read grant for."""
        perms = self.event_permissions
        return (
            self.has_event
            and self.public_read
            and self.request.method in SAFE_METHODS
            and perms.is_published
            and not perms.can(READ, self.service, anywhere=True)
        )

    def may_read(self, *, track_id=None):
        """Whether the user may read the service here: publicly, or through a grant (on that track)."""
        perms = self.event_permissions
        if self.public_read and perms.is_published:
            return True
        return perms.can(READ, self.service, track_id=track_id, anywhere=track_id is None)

    def public_rule(self):
        """The model's ``public_rows`` where the public reads this event ("all", {field: values}), else None.

        A role limited to some tracks reads these rows too: it never sees less of a published event than the
        public does.
        """
        return self.model.public_rows if self.public_read and self.event_permissions.is_published else None

    def public_filter(self):
        """The rows the public reads, as a Q for a queryset of the event's objects (None: none; "all": every row)."""
        rule = self.public_rule()
        if rule is None or rule == "all":
            return rule
        return Q(**{f"{field}__in": values for field, values in rule.items()})

    def is_public_row(self, obj):
        """Whether the public reads this loaded object (the rule of ``public_filter``)."""
        rule = self.public_rule()
        return rule is not None and (rule == "all" or all(getattr(obj, f) in values for f, values in rule.items()))

    def names_an_object(self):
        """Whether the URL names one object of the list (a detail route)."""
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        return bool(lookup) and lookup in self.kwargs

    def reader_permissions(self):
        """The permissions serializers show private fields by: None for a public reader (no private field)."""
        return None if self.reads_publicly() else self.event_permissions

    def etag_variant(self):
        """What makes two readers' representations differ: public or member, and the private fields hidden."""
        if self.reads_publicly():
            return ("public",)
        hidden = getattr(self.get_serializer_class(), "hidden_fields", lambda perms: ())(self.event_permissions)
        return ("member", tuple(hidden))

    def check_track(self, operation, obj):
        """Refuse (403) an object of a track-scoped service that lies outside the tracks the role reaches."""
        if self.service in TRACK_SCOPED_SERVICES and not self.event_permissions.can(
            operation, self.service, track_id=track_of(obj)
        ):
            raise PermissionDenied(TRACK_DENIED)


class EventServicePermission(BasePermission):
    """Map the action to an operation and ask the engine; an unseen event is a 404."""

    message = "You do not have permission to do this in this event."

    def has_permission(self, request, view):
        if getattr(view, "action_map", None) is not None and view.action is None:
            return True  # a method the viewset does not route: DRF answers 405 next
        perms = view.event_permissions
        if view.has_event and not perms.can_see_event:
            raise Http404("No such event.")
        if view.reads_publicly():
            return True
        if not request.user.is_authenticated:
            return False
        if perms.can(view.operation(), view.service, anywhere=True):
            return True
        if view.names_an_object() and not view.may_read():
            raise Http404("No such object.")  # an object you may not read does not exist for you
        return False

    def has_object_permission(self, request, view, obj):
        if view.reads_publicly():
            return True
        perms = view.event_permissions
        if perms.can(view.operation(), view.service, track_id=track_of(obj)):
            return True
        if view.operation() == READ and view.is_public_row(obj):
            return True  # outside the role's tracks, but the public reads it
        if not view.may_read(track_id=track_of(obj)):
            raise Http404("No such object.")
        return False


class EventScopedViewSet(IdempotentCreateMixin, ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    """Base of /events/{event_pk}/<list>/: scoped to the event and the role's tracks, permission-checked, versioned.

    A subclass names its ``service`` and ``model``; the list is the model's
    ``version_list``; a POST honours ``Idempotency-Key`` (a subclass that
    writes its own ``create`` decorates it with ``core.idempotency.idempotent``).
    Objects of track-scoped services are checked against the role's tracks
    before a change and after it (an object moved into a track the role does
    not reach is refused, and nothing is saved).
    """

    permission_classes = [EventServicePermission]
    model = None
    # Many-to-many fields a list shows as ids: read for the whole page in one query (core.serializers).
    many_ids = ()

    def get_queryset(self):
        if self.for_schema_only:
            return self.model.objects.none()
        queryset = self.model.objects.filter(event=self.event)
        public = self.public_filter()
        if self.reads_publicly():
            # The model's public rows (a session's public states): one rule with the track-limited reader's.
            return queryset if public == "all" else queryset.filter(public)
        limit = self.event_permissions.track_limit(READ, self.service)
        if limit is not None and self.service in TRACK_SCOPED_SERVICES and public != "all":
            reached = Q(**{f"{self.model.track_attname}__in": limit})
            queryset = queryset.filter(reached if public is None else reached | public)
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return page if page is None else prefetch_ids(page, *self.many_ids)

    def get_serializer_context(self):
        if self.for_schema_only:
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "event": self.event, "permissions": self.reader_permissions()}

    def etag_variant(self):
        limit = self.event_permissions.track_limit(READ, self.service)
        return (*super().etag_variant(), None if limit is None else tuple(sorted(limit)))

    def list_etag_parts(self):
        # Public readers' ETags follow the public counter where the list has private rows (hidden, draft).
        return self.event_counters(
            [event_resources()[self.model.version_list].key(self.event.pk, public=self.reads_publicly())]
        )

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save(event=self.event)
            self.check_track(CREATE, instance)
        self.created_instance = instance

    def perform_update(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self.check_track(UPDATE, instance)

    def perform_destroy(self, instance):
        self.check_track(DELETE, instance)
        instance.delete()
