from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.accounts import is_verified, mark_verified
from core.throttling import throttle_posts
from events.queries import events_of_user, upcoming_events
from permissions.services import invited_address, notify_pending_invites

from .forms import SignupForm, is_invite_token
from .verification import send_verification_email, verify


@require_GET
def favicon(request):
    """Send clients that ask for /favicon.ico (without reading the page's <link rel="icon">) to the icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_GET
def home(request):
    """List the upcoming published events and, for a signed-in user, the events they hold a role in."""
    context = {"upcoming": upcoming_events()[:50]}
    if request.user.is_authenticated:
        context["mine"] = events_of_user(request.user)
        context["email_unverified"] = not is_verified(request.user)
    return render(request, "home.html", context)


@throttle_posts("signup")
def signup(request):
    """Create an account, log it in, send the link that verifies its address; hand over an invite it came with."""
    invite_token = request.GET.get("invite") or request.POST.get("invite") or ""
    if not is_invite_token(invite_token):
        invite_token = ""  # a mangled link: sign up without it rather than fail afterwards
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                # Signed up from an invite's link with the address it was mailed to: that address is proven.
                invited = invited_address(invite_token) if invite_token else None
                proven = invited is not None and mark_verified(user=user, email=invited)
                if not proven:
                    send_verification_email(user=user)
                # Invitations sent before the account existed reach its inbox too.
                notify_pending_invites(user=user)
        except IntegrityError:
            # The same address signed up a moment ago (the unique index decided the race).
            form.add_error("email", SignupForm.DUPLICATE)
        else:
            login(request, user, backend="eventsite.backends.EmailBackend")
            if not proven:
                messages.info(request, f"We sent a link to {user.email}: open it to confirm your address.")
            if invite_token:
                return redirect(reverse("permissions:invite-respond", args=[invite_token]))
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form, "invite": invite_token})


@require_GET
def verify_email(request, token):
    """Verify the address the link was sent to."""
    user = verify(token)
    if user is None:
        return render(request, "registration/verify_email.html", {"verified": False}, status=400)
    messages.success(request, f"{user.email} is confirmed.")
    return render(request, "registration/verify_email.html", {"verified": True, "verified_user": user})


@login_required
@require_POST
@throttle_posts("verify_email")
def send_verification(request):
    """Send the signed-in user a new verification link."""
    if is_verified(request.user):
        messages.info(request, f"{request.user.email} is confirmed already.")
    else:
        send_verification_email(user=request.user)
        messages.info(request, f"We sent a new link to {request.user.email}.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "home")
