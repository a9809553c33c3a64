import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Lower

from core.versioning import Counter, VersionedModel, bump

from .matrix import MATRIX_COUNTER
from .names import OPERATIONS, ROLE_LABELS, ROLES, SERVICES


class MatrixQuerySet(models.QuerySet):
    """Writes in bulk to the matrix move its counter, as single saves do (permissions/matrix.py)."""

    def update(self, **kwargs):
        with transaction.atomic(using=self.db, savepoint=False):
            rows = super().update(**kwargs)
            bump([MATRIX_COUNTER], using=self.db)
            return rows

    update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db, savepoint=False):
            result = super().delete()
            bump([MATRIX_COUNTER], using=self.db)
            return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            bump([MATRIX_COUNTER], using=self.db)
            return created

    # bulk_update() writes through update() above.


class MatrixModel(models.Model):
    """A role, a service or a row of the matrix: every write moves the matrix counter in the same transaction,
    so every process reads the matrix again on its next request."""

    objects = MatrixQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            bump([MATRIX_COUNTER], using=using)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            result = super().delete(*args, **kwargs)
            bump([MATRIX_COUNTER], using=using)
            return result

    delete.alters_data = True


class Role(MatrixModel):
    name = models.CharField(max_length=40, unique=True, choices=[(name, ROLE_LABELS[name]) for name in ROLES])

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.get_name_display()


class Service(MatrixModel):
    name = models.CharField(max_length=40, unique=True, choices=[(name, name.title()) for name in SERVICES])

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class RolePermission(MatrixModel):
    """One cell row of the matrix: what a role may do on a service."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="permissions")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="permissions")
    can_create = models.BooleanField(default=False)
    can_read = models.BooleanField(default=False)
    can_update = models.BooleanField(default=False)
    can_delete = models.BooleanField(default=False)

    class Meta:
        ordering = ["role_id", "service_id"]
        constraints = [models.UniqueConstraint(fields=["role", "service"], name="unique_role_service")]

    def __str__(self):
        letters = "".join(op[0].upper() for op in OPERATIONS if getattr(self, f"can_{op}"))
        return f"{self.role} on {self.service}: {letters or '-'}"


class EventRole(VersionedModel):
    """A user's role in an event; track-scoped roles may be limited to some tracks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_roles")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="roles")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="event_roles")
    tracks = models.ManyToManyField(
        "events.Track",
        blank=True,
        related_name="limited_roles",
        help_text="Leave empty for all tracks. Only track organizers and moderators can be limited.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the row last changed (any write, bulk ones too): the API's ?modified_since= reads it.
    updated_at = models.DateTimeField(auto_now=True)

    version_list, service = "roles", "team"
    public_rows = None
    # "My events" (/api/v1/me/events/) changes with the user's roles in any event.
    also_counted_in = (Counter("user", "user_id", "roles"),)

    class Meta:
        ordering = ["event_id", "role_id", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "event", "role"], name="unique_user_event_role")]
        indexes = [models.Index(fields=["event", "user"])]

    def __str__(self):
        return f"{self.user} is {self.role} of {self.event}"


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class RoleInvite(VersionedModel):
    PENDING, ACCEPTED, DECLINED, CANCELLED = "pending", "accepted", "declined", "cancelled"
    STATES = [(PENDING, "Pending"), (ACCEPTED, "Accepted"), (DECLINED, "Declined"), (CANCELLED, "Cancelled")]

    email = models.EmailField()
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="invites")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="invites")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="sent_invites"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the row last changed (any write, bulk ones too): the API's ?modified_since= reads it.
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)

    version_list, service = "invites", "team"
    public_rows = None

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "event",
                "role",
                condition=models.Q(state="pending"),
                name="unique_pending_invite",
            )
        ]

    def __str__(self):
        return f"{self.email} invited as {self.role} of {self.event} ({self.state})"

    @staticmethod
    def new_token():
        """Return a fresh random token; only its hash is stored."""
        return secrets.token_urlsafe(32)


class ApiToken(models.Model):
    """A personal API token: its owner's access, narrowed to some services (read or write) and maybe one event.

    Only the sha256 of the key is stored; the key is shown once, when the
    token is made (permissions/tokens.py). ``prefix`` (the key's first
    characters) tells tokens apart in lists. Revoking deletes the row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # ["session:write", "track:read", ...]: one entry per service the token reaches; write includes read.
    scopes = models.JSONField(default=list)
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute per token (permissions/authentication.py), never on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"
