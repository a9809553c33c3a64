from django import forms
from django.apps import apps

from core.forms import ModelIdsField

from .models import RoleInvite
from .names import MODERATOR, ROLE_LABELS, ROLES

ROLE_CHOICES = [(name, ROLE_LABELS[name]) for name in ROLES]


class InviteForm(forms.Form):
    """Whom to invite and as what; whether they may be invited is the service's decision."""

    email = forms.EmailField(max_length=RoleInvite._meta.get_field("email").max_length)  # the column's 254, not 320
    # The least powerful role is the safe default: more is a deliberate choice.
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=MODERATOR)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    tracks = ModelIdsField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracks"].queryset = apps.get_model("events", "Track").objects.filter(event=event)
