import functools

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import get_script_prefix, reverse

# An id no notification has, standing for the id in the mark-as-read URL until it is filled in.
_ID = 987654321987654321


@functools.cache
def _mark_read_url_parts(script_prefix):
    """The mark-as-read URL around its id, reversed once per script prefix (reverse() costs more than the rest)."""
    return tuple(reverse("notifications:mark-read", args=[_ID]).split(str(_ID)))


def mark_read_url(notification_id):
    """Return the URL that marks one notification read (as reverse() would)."""
    return str(notification_id).join(_mark_read_url_parts(get_script_prefix()))


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
        "mark_read_url": mark_read_url(notification.pk),
    }
