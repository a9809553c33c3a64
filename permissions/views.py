"""Team pages: the roles of an event, invites, and answering an invite."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import RedirectView

from core.accounts import is_verified
from core.forms import as_id
from core.throttling import SLOW_DOWN, AddressThrottle, too_many

from . import matrix, services
from .forms import ChangeRoleForm, InviteForm
from .mixins import EventPermissionMixin
from .models import EventRole, RoleInvite
from .names import CREATE, DELETE, OPERATIONS, READ, TRACK_SCOPED_ROLES, UPDATE

# What each button of the team page does, and the operation on "team" it needs.
ACTIONS = {"invite": CREATE, "change": UPDATE, "remove": DELETE, "cancel-invite": DELETE}


class TeamAddressView(EventPermissionMixin, RedirectView):
    """``/events/<id>/team/``, beside the event's other pages: to the team page, for those who may read it."""

    service, operation = "team", READ
    pattern_name = "permissions:team"


class TeamView(EventPermissionMixin, View):
    """List the team; those who may (the service "team" of the matrix) invite, change and remove roles here."""

    service, operation = "team", READ

    def get(self, request, event_id, invite_form=None):
        event = self.event
        may = {op: self.event_permissions.can(op, "team") for op in OPERATIONS}
        # Beside the invite form, what each role may do, from the matrix as the super admin left it (one query).
        roles_in_words = matrix.in_words(matrix.read(stamp=None)) if may[CREATE] else ()
        roles = EventRole.objects.filter(event=event).select_related("user", "role").prefetch_related("tracks")
        return render(
            request,
            "permissions/team.html",
            {
                "event": event,
                "roles": [
                    (
                        role,
                        ChangeRoleForm(
                            event=event,
                            initial={"role": role.role.name, "tracks": role.tracks.all()},
                            prefix=f"role-{role.pk}",
                        ),
                    )
                    for role in roles
                ],
                "invites": RoleInvite.objects.filter(event=event, state=RoleInvite.PENDING).select_related("role"),
                "may": may,
                "track_scoped_roles": sorted(TRACK_SCOPED_ROLES),
                "invite_form": invite_form or InviteForm(),
                "roles_in_words": roles_in_words,
            },
        )

    def post(self, request, event_id):
        action = request.POST.get("action")
        if action not in ACTIONS:
            messages.error(request, "Unknown action.")
            return redirect("permissions:team", self.event.pk)
        self.require(ACTIONS[action])
        try:
            if action == "invite":
                return self.invite(request)
            if action == "cancel-invite":
                role_invite = get_object_or_404(RoleInvite, pk=as_id(request.POST.get("invite_id")), event=self.event)
                if services.cancel_invite(role_invite=role_invite, cancelled_by=request.user):
                    messages.success(request, f"Invitation to {role_invite.email} cancelled.")
                return redirect("permissions:team", self.event.pk)
            event_role = get_object_or_404(EventRole, pk=as_id(request.POST.get("role_id")), event=self.event)
            if action == "remove":
                services.remove_role(event_role=event_role, removed_by=request.user)
                messages.success(request, f"Removed {event_role.user.email} as {event_role.role}.")
            else:
                form = ChangeRoleForm(request.POST, event=self.event, prefix=f"role-{event_role.pk}")
                if not form.is_valid():
                    messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
                    return redirect("permissions:team", self.event.pk)
                old_name = event_role.role.name
                services.change_role(
                    event_role=event_role,
                    role_name=form.cleaned_data["role"],
                    changed_by=request.user,
                    tracks=form.cleaned_data["tracks"],
                )
                if old_name != event_role.role.name:
                    messages.success(request, f"{event_role.user.email} is now {event_role.role}.")
                else:
                    tracks = services.tracks_in_words(form.cleaned_data["tracks"])
                    messages.success(request, f"{event_role.user.email} ({event_role.role}) now works on {tracks}.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("permissions:team", self.event.pk)

    def invite(self, request):
        throttle = AddressThrottle("invites")
        if not throttle.allow_request(request, None):
            return too_many(request, throttle.wait(), SLOW_DOWN)
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                services.invite(
                    event=self.event,
                    email=form.cleaned_data["email"],
                    role_name=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("permissions:team", self.event.pk)
        return self.get(request, self.event.pk, invite_form=form)


@login_required
def respond_to_invite(request, token):
    """Show an invite to its addressee and take their accept or decline (the link of the email or notification)."""
    try:
        role_invite = services.find_invite(token)
    except services.InviteError as error:
        return _refused(request, error)
    return _respond(request, role_invite, token=token)


@login_required
def answer_invite(request, pk):
    """The same for an invite found by its number (the inbox of an account made after it); others' are a 404."""
    try:
        role_invite = services.find_invite_for(request.user, pk)
    except services.InviteError as error:
        return _refused(request, error)
    if role_invite is None:
        raise Http404("No such invitation.")
    return _respond(request, role_invite, invite_id=pk)


def _refused(request, error):
    """Why the invite cannot be answered, and the way on: its event for a member of the team, else the inbox."""
    role_invite = error.role_invite
    if role_invite is not None and EventRole.objects.filter(event_id=role_invite.event_id, user=request.user).exists():
        onward = (reverse("events:dashboard", args=[role_invite.event_id]), f"Open {role_invite.event.name}")
    else:
        onward = (reverse("notifications:inbox"), "Back to your notifications")
    return render(request, "permissions/invite.html", {"error": error.messages[0], "onward": onward}, status=400)


def _respond(request, role_invite, **key):
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "accept":
                services.accept_invite(user=request.user, **key)
                messages.success(request, f"You are now {role_invite.role} of {role_invite.event}.")
                return redirect("events:dashboard", role_invite.event_id)
            services.decline_invite(user=request.user, **key)
            messages.info(request, "Invitation declined.")
            return redirect("home")
        except services.InviteError as error:
            return _refused(request, error)
    wrong_user = role_invite.email.lower() != request.user.email.lower()
    context = {
        "invite": role_invite,
        "wrong_user": wrong_user,
        "unverified": not wrong_user and not is_verified(request.user),
    }
    return render(request, "permissions/invite.html", context)
