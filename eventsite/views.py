from django.contrib.auth import login
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from events.queries import events_of_user, published_events

from .forms import SignupForm


@require_GET
def home(request):
    """List published events and, for a signed-in user, the events they hold a role in."""
    context = {"published": published_events()[:50]}
    if request.user.is_authenticated:
        context["mine"] = events_of_user(request.user)
    return render(request, "home.html", context)


def signup(request):
    """Create an account, log it in and, if the link carried an invite, hand it over."""
    invite_token = request.GET.get("invite") or request.POST.get("invite") or ""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
        login(request, user, backend="eventsite.backends.EmailBackend")
        if invite_token:
            return redirect(reverse("permissions:invite-respond", args=[invite_token]))
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form, "invite": invite_token})
