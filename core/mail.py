"""Email, the one way every app sends it: after commit, a one-line subject, failures logged not raised."""

import logging

from django.core.mail import send_mail
from django.db import transaction

logger = logging.getLogger(__name__)


def one_line(text, limit=200):
    """Return the text as one line (a subject header cannot hold a line break) of at most ``limit`` characters."""
    return " ".join(str(text).split())[:limit]


def send_after_commit(*, to, subject, body):
    """Send a plain-text email once the current transaction commits; a mail server failure is logged."""
    subject, recipients = one_line(subject), [to] if isinstance(to, str) else list(to)

    def send():
        try:
            send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
        except (OSError, ValueError) as error:  # ValueError: a header Django refuses (BadHeaderError)
            logger.warning("Could not send %r to %d recipient(s): %s", subject, len(recipients), error)

    transaction.on_commit(send)
