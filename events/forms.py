from django import forms

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


class DateTimeInput(forms.DateTimeInput):
    """A native date/time picker."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventDetailsForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["name", "description", "location", "starts_at", "ends_at", "timezone"]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }


class EventScopedForm(forms.ModelForm):
    """A form for an event's service: related choices come from the same event only."""

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.event = event
        for _name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.filter(event=event)


class TrackForm(EventScopedForm):
    class Meta:
        model = Track
        fields = ["name", "description", "color", "location"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}


class SessionForm(EventScopedForm):
    class Meta:
        model = Session
        fields = ["title", "abstract", "track", "microlocation", "speakers", "starts_at", "ends_at"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}


class SpeakerForm(EventScopedForm):
    class Meta:
        model = Speaker
        fields = ["name", "email", "bio", "organisation"]


class SponsorForm(EventScopedForm):
    class Meta:
        model = Sponsor
        fields = ["name", "url", "level", "logo"]


class MicrolocationForm(EventScopedForm):
    class Meta:
        model = Microlocation
        fields = ["name", "floor", "latitude", "longitude"]
