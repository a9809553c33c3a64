"""The API front door of the permission engine: one permission class for every viewset."""

from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .engine import permissions_for
from .names import CREATE, DELETE, READ, UPDATE, check_service

METHOD_OPERATIONS = {
    "GET": READ,
    "HEAD": READ,
    "OPTIONS": READ,
    "POST": CREATE,
    "PUT": UPDATE,
    "PATCH": UPDATE,
    "DELETE": DELETE,
}
ACTION_OPERATIONS = {
    "list": READ,
    "retrieve": READ,
    "create": CREATE,
    "update": UPDATE,
    "partial_update": UPDATE,
    "destroy": DELETE,
}


class EventScopedViewMixin:
    """For views under /events/{event_pk}/: resolves ``event_permissions`` once per request.

    The view names its ``service``; ``public_read`` lets anyone read a
    published event's objects (the public schedule).
    """

    service = None
    public_read = True
    event_url_kwarg = "event_pk"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.service is not None:
            check_service(cls.service)

    @property
    def event_id(self):
        return self.kwargs[self.event_url_kwarg]

    @property
    def for_schema_only(self):
        """drf-spectacular builds the schema with a fake view that has no URL kwargs."""
        return getattr(self, "swagger_fake_view", False)

    @property
    def event_permissions(self):
        return permissions_for(self.request.user, self.event_id)

    def operation(self):
        action = getattr(self, "action", None)
        return ACTION_OPERATIONS.get(action) or METHOD_OPERATIONS.get(self.request.method, READ)

    def reads_publicly(self):
        """The request reads an object of a published event the user holds no read grant for."""
        perms = self.event_permissions
        return (
            self.public_read
            and self.request.method in SAFE_METHODS
            and perms.is_published
            and not perms.can(READ, self.service, anywhere=True)
        )


class EventServicePermission(BasePermission):
    """Map the action to an operation and ask the engine; an unseen event is a 404."""

    message = "You do not have permission to do this in this event."

    def has_permission(self, request, view):
        perms = view.event_permissions
        if not perms.can_see_event:
            raise Http404("No such event.")
        if view.reads_publicly():
            return True
        if not request.user.is_authenticated:
            return False
        return perms.can(view.operation(), view.service, anywhere=True)

    def has_object_permission(self, request, view, obj):
        if view.reads_publicly():
            return True
        track_id = view.track_of(obj) if hasattr(view, "track_of") else None
        return view.event_permissions.can(view.operation(), view.service, track_id=track_id)
