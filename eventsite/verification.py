"""Email verification: a signed link, valid three days, that proves the account's owner reads its address.

The link carries the user's id and the address it was sent to, signed with
the secret key (django.core.signing): no token is stored, and a link for an
address the account no longer has verifies nothing.
"""

from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from core.accounts import mark_verified
from core.links import absolute_url
from core.mail import send_after_commit

SALT = "eventsite.email-verification"
MAX_AGE = 3 * 24 * 3600


def verification_token(user):
    return signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=SALT, compress=True)


def send_verification_email(*, user):
    """Email the user a link that verifies their address; sent after commit, a mail failure is logged."""
    link = absolute_url(reverse("verify-email", args=[verification_token(user)]))
    body = (
        f"Hello {user.get_full_name() or user.email},\n\n"
        f"Please confirm that {user.email} is your address by opening this link (valid for three days):\n\n"
        f"{link}\n\nIf you did not create an account, ignore this email.\n"
    )

    send_after_commit(to=user.email, subject="Confirm your email address", body=body)


def verify(token):
    """Verify the address a token was made for; return the user, or None for a bad, expired or outdated link."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    user = get_user_model()._default_manager.filter(pk=data.get("user")).first()
    if user is None or not mark_verified(user=user, email=data.get("email", "")):
        return None
    return user
