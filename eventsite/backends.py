from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.accounts import same_address
from core.precompiled import PrecompiledQuery

# The user of a session, read on every signed-in request: compiled once, one query by primary key.
_USER_BY_ID = PrecompiledQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk)[:1], int)


class EmailBackend(ModelBackend):
    """Authenticate by email address (case-insensitive) and password."""

    def get_user(self, user_id):
        """Return the active user of a session (None if gone or inactive), as ModelBackend does."""
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _USER_BY_ID.first(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username
        if not email or password is None:
            return None
        user_model, email = get_user_model(), email.strip()
        try:
            if len(email) > user_model._meta.get_field("email").max_length:
                # No account has it; and SQLite refuses a LIKE pattern past 50,000 characters (a 503, not a 400).
                raise user_model.DoesNotExist
            user = user_model._default_manager.get(same_address(email))
        except user_model.DoesNotExist:
            # Run the hasher anyway so a missing account takes as long as a wrong password.
            user_model().set_password(password)
            return None
        except user_model.MultipleObjectsReturned:
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
