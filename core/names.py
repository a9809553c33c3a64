"""Names used once per event, ignoring case (tickets, tracks, rooms): the database's rule and the doors' check of it.

A model states the rule once, as a constraint in its Meta (``unique_name_per_event``). The forms and the API
leave the event out of what they validate (it comes from the URL), so Django would skip the constraint there;
they call ``check_unique_name`` instead, which asks the database with the constraint's own expression (one
query). A writer who gets past the check at the same moment as another meets the constraint itself.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

SUFFIX = "_unique_name_per_event"


def unique_name_per_event(prefix, message):
    """The constraint: ``name`` used once per event, ignoring case; ``message`` is what the doors say."""
    return models.UniqueConstraint(Lower("name"), "event", name=f"{prefix}{SUFFIX}", violation_error_message=message)


def check_unique_name(instance):
    """Raise ValidationError({"name": ...}) if another row of the instance's event has its name (one query).

    Models without the constraint pass. ``instance._state.adding`` tells whether the row itself is stored.
    """
    model = type(instance)
    for constraint in model._meta.constraints:
        if constraint.name.endswith(SUFFIX):
            try:
                constraint.validate(model, instance)
            except ValidationError as error:
                raise ValidationError({"name": error.messages}) from error
