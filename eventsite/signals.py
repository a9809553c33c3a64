"""Account signals: a changed password ends what the old one opened (API tokens; Django ends other sessions)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from rest_framework.authtoken.models import Token

from permissions.models import ApiToken


def revoke_tokens_on_password_change(sender, instance, **kwargs):
    """Delete the user's API tokens when the password changes: the legacy one (the next log-in gets a new one)
    and the personal ones (a token made by whoever knew the old password must not outlive it)."""
    # set_password() leaves the raw password on the instance until save() has run (AbstractBaseUser).
    if getattr(instance, "_password", None) is not None:
        Token.objects.filter(user=instance).delete()
        ApiToken.objects.filter(user=instance).delete()


def connect():
    post_save.connect(
        revoke_tokens_on_password_change, sender=get_user_model(), dispatch_uid="eventsite-password-tokens"
    )
