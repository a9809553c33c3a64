import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import from_current_timezone
from django.utils import timezone

from core.forms import DateTimeInput, EventScopedForm, ModelIdsField
from core.images import ImageRefused

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .sponsors import clean_logo

# The zones people live in ("Europe/Berlin") and UTC; not the database's aliases and oddities ("GB", "US/Pacific",
# "Etc/GMT+5", "Factory", "localtime"), which the API still accepts and the form keeps for an event set to one.
ALIAS_AREAS = ("Brazil/", "Canada/", "Chile/", "Etc/", "Mexico/", "US/")
OFFERED_TIMEZONES = [
    "UTC",
    *sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(ALIAS_AREAS)),
]


def timezone_choices(keep=None):
    """The offered zones as choices, with ``keep`` (an event's own zone) among them wherever it is not."""
    names = OFFERED_TIMEZONES if keep is None or keep in OFFERED_TIMEZONES else [keep, *OFFERED_TIMEZONES]
    return [(name, name.replace("_", " ")) for name in names]


class EventDetailsForm(forms.ModelForm):
    """The event's details; its dates are read as local times of the time zone chosen here."""

    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC")

    class Meta:
        model = Event
        fields = ["name", "description", "location", "starts_at", "ends_at", "timezone", "currency"]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Times on this form are local times: a new zone keeps the sessions' and ticket sales' local times too.
        self.instance.keep_local_times = True
        # Left out (an older page, a script): the event keeps its currency (a new one the default).
        if "currency" in self.fields:  # the admin makes it read-only for those who may not change the event
            self.fields["currency"].required = False
        if self.instance.pk:
            self.fields["timezone"].choices = timezone_choices(keep=self.instance.timezone)

    def clean_currency(self):
        currency = self.cleaned_data.get("currency") or self.instance.currency
        self.instance.check_currency(currency)
        return currency

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("timezone"):
            # The date fields were parsed in the page's time zone (the event's
            # current one); read the same wall-clock times in the chosen one.
            # A time the clocks skip or repeat there is refused as Django's fields refuse it in the page's zone.
            chosen, current = zoneinfo.ZoneInfo(cleaned["timezone"]), timezone.get_current_timezone()
            for name in ("starts_at", "ends_at"):
                if cleaned.get(name):
                    with timezone.override(chosen):
                        try:
                            cleaned[name] = from_current_timezone(timezone.make_naive(cleaned[name], current))
                        except ValidationError as error:
                            self.add_error(name, error)
        return cleaned


class EventSettingsForm(EventDetailsForm):
    """The edit page: the details plus how buyers pay (the wizard asks only for the details)."""

    class Meta(EventDetailsForm.Meta):
        fields = [*EventDetailsForm.Meta.fields, "payment_instructions", "payment_days"]
        widgets = {**EventDetailsForm.Meta.widgets, "payment_instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty (or not sent by an older form): keep what is set.
        self.fields["payment_days"].required = False

    def clean_payment_days(self):
        days = self.cleaned_data.get("payment_days")
        return days if days is not None else self.instance.payment_days


class TrackForm(EventScopedForm):
    class Meta:
        model = Track
        fields = ["name", "description", "color", "location"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("color", Track.next_color(self.event))


class SessionForm(EventScopedForm):
    class Meta:
        model = Session
        fields = ["title", "abstract", "state", "track", "microlocation", "speakers", "starts_at", "ends_at"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}
        field_classes = {"speakers": ModelIdsField}


class SpeakerForm(EventScopedForm):
    class Meta:
        model = Speaker
        fields = ["name", "email", "bio", "organisation"]


class SponsorForm(EventScopedForm):
    class Meta:
        model = Sponsor
        fields = ["name", "url", "level", "logo"]
        help_texts = {"logo": "JPEG, PNG or WebP, up to 2 MiB; stored as WebP within 800 x 400 pixels."}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or logo == self.instance.logo:
            return logo  # unchanged, or cleared
        try:
            return clean_logo(logo)
        except ImageRefused as error:
            raise forms.ValidationError(error.message, code="logo") from error


class MicrolocationForm(EventScopedForm):
    class Meta:
        model = Microlocation
        fields = ["name", "floor", "latitude", "longitude"]
