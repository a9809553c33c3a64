import re
import unicodedata

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.urls import reverse

from core.accounts import same_address
from core.links import absolute_url
from core.mail import send_after_commit


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with an email address instead of a user name."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email and password. Both fields may be case-sensitive.",
    }


class SiteLinkPasswordResetForm(PasswordResetForm):
    """Django's password reset, its link on the configured site address, its email queued like every other."""

    def get_users(self, email):
        """Django's choice of accounts (active, with a password, the same address), found through the address index."""
        wanted = unicodedata.normalize("NFKC", email).casefold()
        users = get_user_model()._default_manager.filter(same_address(email), is_active=True)
        return (
            user
            for user in users
            if user.has_usable_password() and unicodedata.normalize("NFKC", user.email).casefold() == wanted
        )

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        link = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        context = {**context, "reset_url": absolute_url(link)}
        subject = loader.render_to_string(subject_template_name, context)
        send_after_commit(to=to_email, subject=subject, body=loader.render_to_string(email_template_name, context))


INVITE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")


def is_invite_token(value):
    """Whether the value can be an invite token at all (URL-safe base64, as RoleInvite.new_token makes them)."""
    return bool(INVITE_TOKEN.fullmatch(value or ""))


class SignupForm(forms.ModelForm):
    """Create an account identified by a unique, case-insensitive email address."""

    DUPLICATE = "An account with this email already exists."

    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    class Meta:
        model = get_user_model()
        fields = ["email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model()._default_manager.filter(same_address(email)).exists():
            raise forms.ValidationError(self.DUPLICATE, code="duplicate_email")
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            self.instance.email = cleaned.get("email", "")
            try:
                password_validation.validate_password(password1, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.username = username_for_email(user.email)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


def username_for_email(email):
    """Return a unique user name derived from an email address (log-in uses the email)."""
    import uuid

    candidate = email.lower()[:150]
    if get_user_model()._default_manager.filter(username=candidate).exists():
        candidate = f"{candidate[:117]}-{uuid.uuid4().hex}"
    return candidate
