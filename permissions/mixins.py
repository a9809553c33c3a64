"""The HTML front door of the permission engine."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404

from .engine import permissions_for
from .names import check_operation, check_service


class EventPermissionMixin:
    """Resolve ``self.event_permissions`` from the URL's ``event_id`` and check one operation.

    A view names its ``service`` and ``operation`` (validated when the class
    is created). An event the user cannot see is a 404; seeing it but lacking
    the operation is a 403, or the log-in page for an anonymous visitor.
    Set ``operation = None`` to check nothing beyond seeing the event.
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
            raise PermissionDenied(f"You may not {self.operation} {self.service}s of this event.")
        return super().dispatch(request, *args, **kwargs)

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
