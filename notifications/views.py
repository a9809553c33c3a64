"""The inbox: newest first, unread highlighted, mark one or all as read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services


@login_required
def inbox(request):
    """List the user's notifications, all unread ones first, then newest first, 25 a page."""
    queryset = request.user.notifications.order_by("has_read", "-received_at", "-id")
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk):
    """Mark one of the user's own notifications as read."""
    services.mark_read(user=request.user, ids=[pk])
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    """Mark all of the user's notifications as read."""
    services.mark_all_read(user=request.user)
    return _back(request)
