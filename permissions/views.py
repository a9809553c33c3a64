"""Team pages: the roles of an event, invites, and answering an invite."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from . import services
from .forms import ChangeRoleForm, InviteForm
from .mixins import EventPermissionMixin
from .models import EventRole, RoleInvite
from .names import READ


class TeamView(EventPermissionMixin, View):
    """List the team; organizers also invite, change and remove roles here."""

    service, operation = "event", READ

    def dispatch(self, request, *args, **kwargs):
        self.event = get_object_or_404(apps.get_model("events", "Event"), pk=kwargs["event_id"])
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self):
        # The public may see a published event, but only its team sees the team.
        perms = self.event_permissions
        return self.request.user.is_authenticated and (perms.roles or perms.is_staff or perms.is_superuser)

    def get(self, request, event_id, invite_form=None):
        roles = EventRole.objects.filter(event=self.event).select_related("user", "role").prefetch_related("tracks")
        can_manage = self.event_permissions.can_manage_roles
        return render(
            request,
            "permissions/team.html",
            {
                "event": self.event,
                "roles": [
                    (
                        role,
                        ChangeRoleForm(
                            event=self.event,
                            initial={"role": role.role.name, "tracks": role.tracks.all()},
                            prefix=f"role-{role.pk}",
                        ),
                    )
                    for role in roles
                ],
                "invites": RoleInvite.objects.filter(event=self.event, state=RoleInvite.PENDING).select_related("role"),
                "can_manage": can_manage,
                "invite_form": invite_form or InviteForm(event=self.event),
            },
        )

    def post(self, request, event_id):
        if not self.event_permissions.can_manage_roles:
            raise PermissionDenied("Only organizers manage the team.")
        action = request.POST.get("action")
        try:
            if action == "invite":
                form = InviteForm(request.POST, event=self.event)
                if not form.is_valid():
                    return self.get(request, event_id, invite_form=form)
                services.invite(
                    event=self.event,
                    email=form.cleaned_data["email"],
                    role_name=form.cleaned_data["role"],
                    invited_by=request.user,
                )
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            elif action in ("change", "remove"):
                event_role = get_object_or_404(EventRole, pk=request.POST.get("role_id"), event=self.event)
                if action == "remove":
                    services.remove_role(event_role=event_role, removed_by=request.user)
                    messages.success(request, f"Removed {event_role.user.email} as {event_role.role}.")
                else:
                    form = ChangeRoleForm(request.POST, event=self.event, prefix=f"role-{event_role.pk}")
                    if not form.is_valid():
                        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
                        return redirect("permissions:team", self.event.pk)
                    services.change_role(
                        event_role=event_role,
                        role_name=form.cleaned_data["role"],
                        changed_by=request.user,
                        tracks=form.cleaned_data["tracks"],
                    )
                    messages.success(request, f"{event_role.user.email} is now {event_role.role}.")
            elif action == "cancel-invite":
                RoleInvite.objects.filter(
                    pk=request.POST.get("invite_id"), event=self.event, state=RoleInvite.PENDING
                ).update(state=RoleInvite.CANCELLED)
                messages.success(request, "Invitation cancelled.")
            else:
                messages.error(request, "Unknown action.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("permissions:team", self.event.pk)


@login_required
def respond_to_invite(request, token):
    """Show an invite to its addressee and take their accept or decline."""
    try:
        role_invite = services.find_invite(token)
    except services.InviteError as error:
        return render(request, "permissions/invite.html", {"error": error.messages[0]}, status=400)
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "accept":
                services.accept_invite(token=token, user=request.user)
                messages.success(request, f"You are now {role_invite.role} of {role_invite.event}.")
                return redirect("events:dashboard", role_invite.event_id)
            services.decline_invite(token=token, user=request.user)
            messages.info(request, "Invitation declined.")
            return redirect("home")
        except services.InviteError as error:
            return render(request, "permissions/invite.html", {"error": error.messages[0]}, status=400)
    wrong_user = role_invite.email.lower() != request.user.email.lower()
    return render(request, "permissions/invite.html", {"invite": role_invite, "wrong_user": wrong_user})
