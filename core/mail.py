"""Email, the one way every app sends it: a task queued with the transaction, retried, failures logged not raised."""

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone

from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, ... attempt when the mail server fails: about a day in all, then given up.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=18),
)


def one_line(text, limit=200):
    """Return the text as one line (a subject header cannot hold a line break) of at most ``limit`` characters."""
    return " ".join(str(text).split())[:limit]


# Emails go before other waiting work (a worker claims the highest priority first): a slow webhook receiver
# of one event holds a worker for up to WEBHOOK_TIMEOUT, and another event's buyers wait for their mail.
EMAIL_PRIORITY = 10


def send_after_commit(*, to, subject, body):
    """Queue a plain-text email, sent by a worker once the current transaction commits (never if it rolls back).

    The request that asks for it never waits for the mail server; a failing
    server is retried (RETRY_DELAYS), then the email is given up and logged.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    enqueue_on_commit(send_email, to=recipients, subject=one_line(subject), body=body, priority=EMAIL_PRIORITY)


@task()
def send_email(*, to, subject, body, attempt=1):
    """Send one email; on a mail server failure queue the next attempt, or log that it is given up."""
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=to)
    except (OSError, ValueError) as error:  # ValueError: a header Django refuses (BadHeaderError)
        if isinstance(error, ValueError) or attempt > len(RETRY_DELAYS):
            logger.warning(
                "Gave up sending %r to %d recipient(s) after %d attempt(s): %s", subject, len(to), attempt, error
            )
            return "failed"
        logger.warning("Could not send %r to %d recipient(s) (attempt %d): %s", subject, len(to), attempt, error)
        enqueue_on_commit(
            send_email,
            to=to,
            subject=subject,
            body=body,
            attempt=attempt + 1,
            run_after=timezone.now() + RETRY_DELAYS[attempt - 1],
            priority=EMAIL_PRIORITY,
        )
        return "retrying"
    return "sent"
