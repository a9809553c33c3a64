"""Form bases every app's pages extend: native date pickers, objects scoped to one event."""

from django import forms


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
