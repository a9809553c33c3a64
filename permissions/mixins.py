"""The HTML front door of the permission engine."""

import zoneinfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.utils import timezone

from .engine import permissions_for
from .names import check_operation, check_service


class EventPermissionMixin:
    """Resolve ``self.event_permissions`` from the URL's ``event_id`` and check one operation.

    A view names its ``service`` and ``operation`` (validated when the class
    is created). An event the user cannot see is a 404; seeing it but lacking
    the operation is a 403, or the log-in page for an anonymous visitor.
    Set ``operation = None`` to check nothing beyond seeing the event.

    The view then runs in the event's time zone, so its forms read and its
    templates show local times of the event.
    """

    service = None
    operation = None
    event_url_kwarg = "event_id"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.service is not None:
            check_service(cls.service)
        if cls.operation is not None:
            check_operation(cls.operation)

    def dispatch(self, request, *args, **kwargs):
        self.event_permissions = permissions_for(request.user, kwargs[self.event_url_kwarg])
        if not self.event_permissions.can_see_event:
            if not request.user.is_authenticated and self.event_permissions.exists:
                return redirect_to_login(request.get_full_path())
            raise Http404("No such event.")
        if not self.has_permission():
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied("Your role in this event does not allow this.")
        with timezone.override(event_zone(self.event_permissions.timezone)):
            response = super().dispatch(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # a TemplateResponse renders late: do it in the event's zone
            return response

    def has_permission(self):
        if self.operation is None:
            return True
        if self.service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must name its service.")
        return self.event_permissions.can(self.operation, self.service, anywhere=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["perms_event"] = self.event_permissions
        return context


def event_zone(name):
    """Return the ZoneInfo for an event's time zone name (UTC if the name is unknown)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
