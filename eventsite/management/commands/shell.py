"""`manage.py shell` with every model imported (Django's auto-import) plus a few helpers.

- ``su``: the first super admin (None if there is none)
- ``notify``: notifications.services.notify
- ``permissions_for``: permissions.engine.permissions_for
- ``create_event``, ``publish_event``, ``unpublish_event``: events.services
"""

from django.contrib.auth import get_user_model
from django.core.management.commands import shell
from django.db import DatabaseError


class Command(shell.Command):
    help = shell.Command.help + " Adds su (first super admin), notify, permissions_for, create/publish/unpublish_event."

    def get_auto_imports(self):
        return [
            *super().get_auto_imports(),
            "notifications.services.notify",
            "permissions.engine.permissions_for",
            "events.services.create_event",
            "events.services.publish_event",
            "events.services.unpublish_event",
        ]

    def get_namespace(self, **options):
        namespace = super().get_namespace(**options)
        if options.get("no_imports"):
            return namespace
        try:
            namespace["su"] = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
            note = "Also: su = the first super admin."
        except DatabaseError:
            # Before the first migrate there is no table to read: the shell still starts.
            namespace["su"] = None
            note = "Also: su = None (the database has no tables yet: run `manage.py migrate`)."
        if options.get("verbosity", 0) >= 1:
            self.stdout.write(note, ending="\n\n")
        return namespace
