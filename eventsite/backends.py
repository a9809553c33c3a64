from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Authenticate by email address (case-insensitive) and password."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username
        if not email or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(email__iexact=email.strip())
        except user_model.DoesNotExist:
            # Run the hasher anyway so a missing account takes as long as a wrong password.
            user_model().set_password(password)
            return None
        except user_model.MultipleObjectsReturned:
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
