from django import forms
from django.apps import apps

from .models import EventRole, RoleInvite
from .names import ROLE_LABELS, ROLES

ROLE_CHOICES = [(name, ROLE_LABELS[name]) for name in ROLES]


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=ROLE_CHOICES)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean(self):
        cleaned = super().clean()
        email, role = cleaned.get("email"), cleaned.get("role")
        holders = EventRole.objects.filter(event=self.event, user__email__iexact=email, role__name=role)
        if email and role and holders.exists():
            raise forms.ValidationError("This person already holds that role in the event.")
        return cleaned


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    tracks = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracks"].queryset = apps.get_model("events", "Track").objects.filter(event=event)


__all__ = ["ChangeRoleForm", "InviteForm", "RoleInvite"]
