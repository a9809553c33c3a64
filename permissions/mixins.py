"""The HTML front door of the permission engine."""

import zoneinfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.utils import timezone

from .engine import load_event, load_event_by_slug, permissions_for
from .names import check_operation, check_service

DENIED = "Your role in this event does not allow this."


class EventPermissionMixin:
    """Load the event of the URL once (``self.event``, with ``self.event_permissions``) and check one operation.

    A view names its ``service`` and ``operation`` (validated when the class
    is created). An event the user cannot see is a 404; seeing it but lacking
    the operation is a 403. Anonymous visitors of a page that needs an
    operation go to the log-in page before anything is looked up, so a draft
    and a missing event look the same to them. Set ``operation = None`` to
    check nothing beyond seeing the event (public pages, found by
    ``event_slug_kwarg``).

    The view then runs in the event's time zone, so its forms read and its
    templates show local times of the event.
    """

    service = None
    operation = None
    event_url_kwarg = "event_id"
    event_slug_kwarg = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.service is not None:
            check_service(cls.service)
        if cls.operation is not None:
            check_operation(cls.operation)

    def dispatch(self, request, *args, **kwargs):
        if self.operation is not None and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.event = self.get_event()
        self.event_permissions = permissions_for(request.user, self.event) if self.event else None
        if self.event is None or not self.sees_event():
            raise Http404("No such event.")
        if not self.has_permission():
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(DENIED)
        with timezone.override(event_zone(self.event.timezone)):
            response = super().dispatch(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # a TemplateResponse renders late: do it in the event's zone
            return response

    def sees_event(self):
        """Whether the event exists for this user (public, or theirs); a page that a secret opens may say so too."""
        return self.event_permissions.can_see_event

    def get_event(self):
        """Return the event of the URL with the user's permissions resolved (one query), or None."""
        if self.event_slug_kwarg:
            return load_event_by_slug(self.request.user, self.kwargs[self.event_slug_kwarg])
        return load_event(self.request.user, self.kwargs[self.event_url_kwarg])

    def has_permission(self):
        if self.operation is None:
            return True
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must name its service.")
        return self.event_permissions.can(self.operation, self.service, anywhere=True)

    def require(self, operation, service=None, *, track_id=None, anywhere=False):
        """Raise PermissionDenied unless the operation is allowed (for views that do several things)."""
        if not self.event_permissions.can(operation, service or self.service, track_id=track_id, anywhere=anywhere):
            raise PermissionDenied(DENIED)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["perms_event"] = self.event_permissions
        context["event"] = self.event
        return context


def event_zone(name):
    """Return the ZoneInfo for an event's time zone name (UTC if the name is unknown)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
