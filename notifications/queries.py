from .models import Notification


def unread_of(user):
    """Return the user's unread notifications, newest first (served by the unread index)."""
    return Notification.objects.filter(user=user, has_read=False).order_by("-received_at", "-id")
