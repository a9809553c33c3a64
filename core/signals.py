"""Signal receivers of core: a session that ends, or a password that changes, closes the sockets it opened."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save

from .broadcast import push_after_commit, push_to_groups
from .sockets import account_group, session_group


def end_session_sockets(sender, request, user, **kwargs):
    """Close the sockets of the session that logs out (before Django flushes it)."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        push_to_groups([(session_group(session.session_key), {"type": "session.ended"})])


def close_sockets_on_password_change(sender, instance, **kwargs):
    """Tell the user's sockets the new authentication hash; those of other sessions close."""
    # set_password() leaves the raw password on the instance until save() has run (AbstractBaseUser).
    if getattr(instance, "_password", None) is None:
        return
    message = {"type": "auth.changed", "auth_hash": instance.get_session_auth_hash()}
    push_after_commit([(account_group(instance.pk), message)])


def connect():
    user_logged_out.connect(end_session_sockets, dispatch_uid="core-end-session-sockets")
    post_save.connect(close_sockets_on_password_change, sender=get_user_model(), dispatch_uid="core-password-sockets")
