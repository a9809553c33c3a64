"""notify() and marking read: the only ways to change a user's notifications.

Every change bumps the user's ``user.<id>.notifications`` counter in the same
transaction (Notification is a versioned model; the API's ETags read it) and, after commit, tells the user's
open sockets through the channel-layer group ``user.<id>``.
"""

import functools
import logging
from urllib.parse import urlsplit

import nh3
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.broadcast import push_after_commit
from core.precompiled import PrecompiledQuery
from core.versioning import counter_key

from .models import Notification
from .payloads import notification_payload

logger = logging.getLogger(__name__)

# Users per INSERT and per unread count of one notify().
BATCH_SIZE = 5000
ALLOWED_TAGS = {"a", "p", "br", "em", "strong", "b", "i", "ul", "ol", "li", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html):
    """Return the HTML with only links, emphasis, lists and paragraphs; links open safely in a new tab."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def check_url(url):
    """Return the URL if it is a path on this site or an http(s) address; raise ValueError otherwise.

    The URL ends up in an ``href`` (inbox, toast), where ``javascript:`` would run.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    on_site = url.startswith("/") and not url.startswith("//") and not parts.scheme and not parts.netloc
    absolute = parts.scheme in {"http", "https"} and bool(parts.netloc)
    # Browsers read a backslash as a slash ("/\evil.example" leaves the site).
    if (on_site or absolute) and "\\" not in url:
        return url
    raise ValueError(f"A notification URL must be a path on this site or an http(s) address, not {url!r}")


def user_group(user_id):
    """Return the channel-layer group of one user's sockets (all their tabs)."""
    return f"user.{user_id}"


def notifications_counter(user_id):
    """Return the name of the version counter of one user's notifications."""
    return counter_key(Notification.version_scope, user_id, Notification.version_list)


def notify(users, *, action, title, message="", url=""):
    """Save one notification per user (one bulk INSERT per 5,000), bump their counters, push after commit.

    ``users`` is a user, a user id, or an iterable of either. Each push carries
    the user's unread count (one query for all users), so open sockets do no
    database work for it. A channel layer that is down is logged once and
    otherwise ignored: the notifications are saved and reach the user on
    their next connect, or when the sockets resync.
    """
    if isinstance(users, (int, str)) or hasattr(users, "pk"):
        users = [users]
    user_ids = list(dict.fromkeys(getattr(user, "pk", user) for user in users))
    if action not in dict(Notification.ACTIONS):
        raise ValueError(f"Unknown notification action {action!r}")
    url = check_url(url)
    if not user_ids:
        return []
    clean_message = sanitize(message)
    notifications = [
        Notification(user_id=user_id, action=action, title=title[:200], message=clean_message, url=url)
        for user_id in user_ids
    ]
    with transaction.atomic():
        # The versioned bulk insert bumps each user's notifications counter.
        # 5,000 rows of 9 values stay below PostgreSQL's 65,535 parameters (SQLite's limit is applied by Django).
        Notification.objects.bulk_create(notifications, batch_size=BATCH_SIZE)
        counts = unread_counts(user_ids)
        push_after_commit(
            [
                (
                    user_group(n.user_id),
                    {
                        "type": "notification.created",
                        "notification": notification_payload(n),
                        "unread_count": counts[n.user_id],  # each has just been given an unread one
                    },
                )
                for n in notifications
            ]
        )
    return notifications


def unread_counts(user_ids):
    """Return {user id: unread notifications} for the users (absent: none); one query per 5,000 users.

    In batches as notify() inserts: a statement names at most 65,535 values on PostgreSQL.
    """
    user_ids = list(user_ids)
    counts = {}
    for start in range(0, len(user_ids), BATCH_SIZE):
        batch = user_ids[start : start + BATCH_SIZE]
        counts.update(_unread_counts_query(len(batch)).rows(*batch))
    return counts


@functools.lru_cache(maxsize=16)
def _unread_counts_query(count):
    """The unread counts of ``count`` users, compiled once per count (notify() runs it in every call)."""
    return PrecompiledQuery(
        lambda *user_ids: (
            Notification.objects.filter(user_id__in=user_ids, has_read=False)
            .order_by()
            .values_list("user_id")
            .annotate(count=Count("id"))
        ),
        *[int] * count,
    )


def mark_read(*, user, ids):
    """Mark the user's own unread notifications with these ids read; bump and push if any changed.

    Others' ids and ids already read are ignored; returns how many changed.
    """
    with transaction.atomic():
        changed = Notification.objects.filter(user=user, pk__in=ids, has_read=False).update(
            has_read=True, read_at=timezone.now()
        )
        if changed:
            _push_unread_count(user.pk, unread_counts([user.pk]).get(user.pk, 0))
    return changed


def mark_read_leading_to(*, user, urls):
    """Mark the user's unread notifications that lead to one of the URLs read (a thing dealt with); bump and push."""
    ids = list(Notification.objects.filter(user=user, url__in=urls, has_read=False).values_list("pk", flat=True))
    return mark_read(user=user, ids=ids) if ids else 0


def mark_all_read(*, user):
    """Mark every unread notification of the user read; bump and push if any changed; return how many."""
    with transaction.atomic():
        changed = Notification.objects.filter(user=user, has_read=False).update(has_read=True, read_at=timezone.now())
        if changed:
            _push_unread_count(user.pk, 0)
    return changed


def _push_unread_count(user_id, count):
    # The versioned update() has bumped the counter; the open tabs learn the new count after commit.
    push_after_commit([(user_group(user_id), {"type": "unread.changed", "unread_count": count})])
