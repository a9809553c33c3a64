"""The account page "API tokens": make a personal token (its key shown once), see them with their last use, revoke."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.throttling import throttle_posts
from permissions.models import ApiToken
from permissions.names import SERVICES
from permissions.token_api import events_for_tokens
from permissions.tokens import READ_SCOPE, WRITE_SCOPE, TokenScope, create_token, revoke_token

SERVICE_LABELS = {
    "event": "Event details",
    "ticket": "Tickets",
    "track": "Tracks",
    "session": "Sessions",
    "speaker": "Speakers",
    "sponsor": "Sponsors",
    "microlocation": "Rooms",
    "team": "Team (roles and invites)",
    "order": "Orders",
    "webhook": "Webhooks",
}
LEVEL_CHOICES = [("", "No access"), (READ_SCOPE, "Read"), (WRITE_SCOPE, "Read and write")]
LIFETIMES = {"30": timedelta(days=30), "90": timedelta(days=90), "365": timedelta(days=365), "never": None}


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “schedule export”.")
    event = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All my events",
        help_text="A token limited to one event finds no other.",
    )
    lifetime = forms.ChoiceField(
        label="Expires",
        choices=[("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year"), ("never", "never")],
        initial="90",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events_for_tokens(user).order_by("starts_at", "id")
        for service in SERVICES:
            self.fields[f"scope_{service}"] = forms.ChoiceField(
                label=SERVICE_LABELS[service], choices=LEVEL_CHOICES, required=False
            )

    def scope_fields(self):
        return [self[f"scope_{service}"] for service in SERVICES]

    def clean(self):
        data = super().clean()
        data["scopes"] = [
            f"{service}:{data[f'scope_{service}']}" for service in SERVICES if data.get(f"scope_{service}")
        ]
        if not data["scopes"] and not any(name.startswith("scope_") for name in self.errors):
            raise forms.ValidationError("Give the token access to at least one part (read, or read and write).")
        return data


def describe(token):
    """Return the token's reach in words: "Tracks: read and write; Sessions: read"."""
    levels = TokenScope.of(token).levels
    return "; ".join(
        f"{SERVICE_LABELS[service]}: {'read and write' if levels[service] == WRITE_SCOPE else 'read'}"
        for service in SERVICES
        if service in levels
    )


@never_cache
@login_required
@throttle_posts("tokens")
def api_tokens(request):
    """List the user's tokens; make one (its key is on this answer only, never again)."""
    form = ApiTokenForm(request.POST or None, user=request.user)
    new_key = None
    if request.method == "POST" and form.is_valid():
        lifetime = LIFETIMES[form.cleaned_data["lifetime"]]
        _token, new_key = create_token(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            event=form.cleaned_data["event"],
            expires_at=timezone.now() + lifetime if lifetime else None,
        )
        form = ApiTokenForm(user=request.user)
    tokens = [(token, describe(token)) for token in request.user.api_tokens.select_related("event")]
    context = {"form": form, "tokens": tokens, "new_key": new_key, "now": timezone.now()}
    return render(request, "account/api_tokens.html", context)


@login_required
@require_POST
def revoke_api_token(request, pk):
    """Revoke one of the user's tokens."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    name = token.name
    revoke_token(token=token)
    messages.success(request, f"The token “{name}” is revoked: its key no longer works.")
    return redirect("account-tokens")
