"""The webhook pages' forms; the service decides (its errors land on the fields)."""

from django import forms

from .kinds import CHOICES


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where deliveries are POSTed: an http(s) address on the internet.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/hooks/open-event"}),
    )
    description = forms.CharField(max_length=200, required=False, help_text="For you: what receives it.")
    kinds = forms.MultipleChoiceField(
        label="Kinds of change",
        choices=CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[kind for kind, _ in CHOICES],
    )
    active = forms.BooleanField(label="Active (deliver changes)", required=False, initial=True)


class NewWebhookForm(WebhookForm):
    secret = forms.CharField(
        label="Signing secret (optional)",
        required=False,
        max_length=200,
        help_text="Leave empty for a new random one. Yours: whsec_ followed by base64 of 24 to 64 random bytes.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
