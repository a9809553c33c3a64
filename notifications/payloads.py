from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse


def notification_payload(notification):
    """Return the JSON shape of one notification, as sockets and the API send it."""
    return {
        "id": notification.pk,
        "title": notification.title,
        "message": notification.message,
        "action": notification.action,
        "url": notification.url,
        "received_at": notification.received_at.isoformat() if notification.received_at else None,
        # naturaltime() may return a lazy translation, which JSON and msgpack cannot encode.
        "received_ago": str(naturaltime(notification.received_at)) if notification.received_at else "",
        "has_read": notification.has_read,
        "mark_read_url": reverse("notifications:mark-read", args=[notification.pk]),
    }
