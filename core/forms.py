"""Form bases every app's pages extend: native date pickers, objects scoped to one event; ids read from input."""

from django import forms
from django.core.exceptions import ValidationError

from .names import check_unique_name

MAX_ID = 2**63 - 1  # the largest id a database column holds (a bigint)


def as_id(value):
    """Return the database id ``value`` names (an int, or a text of ASCII digits), or None if it names none.

    ``str.isdigit()`` also takes "²" and other digits ``int()`` refuses, and an id beyond a bigint overflows
    the database's integer: both were 500s where a page read an id from a form or a query string.
    """
    if isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else None
    return value if type(value) is int and 0 < value <= MAX_ID else None


class ModelIdsField(forms.ModelMultipleChoiceField):
    """Django's many-object choice, with an id beyond a bigint refused as any unknown choice.

    Django checks each value alone (an exact lookup matches nothing out of range) but then asks for all of
    them with ``pk__in``, which sent the number to the database: an OverflowError (a 500) on SQLite.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django refuses it as it is
            if not -MAX_ID - 1 <= number <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class DateTimeInput(forms.DateTimeInput):
    """A native date/time picker."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventScopedForm(forms.ModelForm):
    """A form for an object of one event: related choices come from the same event only."""

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.instance.event = event
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.filter(event=event)

    def validate_constraints(self):
        # Django skips the constraints that name the event (not a field of the form): check the name's.
        super().validate_constraints()
        if "name" in self.cleaned_data and (self.instance._state.adding or "name" in self.changed_data):
            try:
                check_unique_name(self.instance)
            except ValidationError as error:
                self.add_error(None, error)
