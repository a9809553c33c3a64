"""Whether an account's email address is proven: who may receive a role or accept an invite.

Verification itself (the signed link, the pages) lives with the account
pages in the project package; this is what every app asks.
"""

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from .models import VerifiedEmail

UNVERIFIED = "Verify your email address first: follow the link we sent you (or ask for a new one)."


def same_address(address, field="email"):
    """A filter for the rows whose address ``field`` is ``address`` in any letter case.

    Written LOWER(field) = LOWER(address), the expression of the unique indexes on addresses (the
    accounts', the pending invites'), so PostgreSQL looks it up there; ``__iexact`` compares UPPER()s,
    which no index holds, and read every account on each log-in. The empty address is no one's (the
    accounts' index leaves it out, and saying so lets PostgreSQL use it).
    """
    return Q(Exact(Lower(field), Lower(Value(address)))) & ~Q(**{field: ""})


def is_verified(user):
    """Return whether the user's current email address was verified; one query."""
    if user is None or not user.is_authenticated or not user.email:
        return False
    return VerifiedEmail.objects.filter(same_address(user.email), user=user).exists()


@transaction.atomic
def mark_verified(*, user, email):
    """Record that the user proves to read ``email`` (still their address); writes VerifiedEmail; return whether."""
    if email.lower() != (user.email or "").lower():
        return False
    VerifiedEmail.objects.update_or_create(user=user, defaults={"email": user.email, "verified_at": timezone.now()})
    return True
