"""/api/v1/auth/tokens/: your personal API tokens. List them, make one (its key answered once), revoke one (DELETE)."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api import StrictQueryParametersMixin
from core.idempotency import idempotent
from core.serializers import RefuseUnknownFieldsMixin

from .models import ApiToken
from .tokens import SCOPES, TokenScope, check_scopes, create_token, revoke_token


def events_for_tokens(user):
    """Return the events a token of the user may be limited to: those the user holds a role in."""
    return apps.get_model("events", "Event").objects.filter(roles__user=user).distinct()


class ApiTokenSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """A personal API token, without its key (shown once, when it is made)."""

    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPES),
        allow_empty=False,
        help_text='Services the token reaches, each "<service>:read" or "<service>:write" (write includes read).',
    )
    event = serializers.PrimaryKeyRelatedField(
        queryset=ApiToken.event.field.related_model.objects.none(),
        allow_null=True,
        required=False,
        help_text="Limit the token to this event (one you hold a role in); null: every event.",
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "event", "expires_at", "last_used_at", "created_at"]
        read_only_fields = ["prefix", "last_used_at", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["event"].queryset = events_for_tokens(request.user)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise APIValidationError("Give a time in the future (or null: the token does not expire).")
        return value

    def validate_scopes(self, value):
        try:
            return check_scopes(value)
        except ValidationError as error:
            raise APIValidationError(error.messages) from error


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The token's key: shown this once, never again (null in an Idempotency-Key replay).",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


def scope_of_request(request):
    """Return (scope, expires_at) of the personal token the request came with, or None."""
    token = request.auth
    if isinstance(token, ApiToken):
        return TokenScope.of(token), token.expires_at
    return None


@extend_schema_view(
    list=extend_schema(summary="List your API tokens"),
    retrieve=extend_schema(summary="Read one of your API tokens"),
    destroy=extend_schema(summary="Revoke one of your API tokens"),
)
class ApiTokenViewSet(
    StrictQueryParametersMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your personal API tokens. A token used here sees and revokes only tokens no broader than itself
    (others are a 404), and makes only such tokens."""

    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tokens"
    ordering_fields = ["created_at", "last_used_at", "name", "id"]
    ordering = ["-created_at", "-id"]
    filterset_fields = ["event"]
    lookup_value_regex = r"\d+"

    def get_throttles(self):
        # Making tokens is throttled per user; reading and revoking are not.
        return [ScopedRateThrottle()] if self.action == "create" else []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        asking = scope_of_request(self.request)
        if asking is None:
            return queryset
        # A token sees (and revokes) only tokens no broader than itself; a user has few: checked in Python.
        covered = [token.pk for token in queryset if asking[0].covers(TokenScope.of(token))]
        return queryset.filter(pk__in=covered)

    @extend_schema(request=ApiTokenSerializer, responses={201: ApiTokenCreatedSerializer}, summary="Make an API token")
    @idempotent(secret_fields=("key",))
    def create(self, request, *args, **kwargs):
        """Make a token; the answer holds its key, which is never shown again."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            token, key = create_token(
                user=request.user,
                name=data["name"],
                scopes=data["scopes"],
                event=data.get("event"),
                expires_at=data.get("expires_at"),
                made_by=scope_of_request(request),
            )
        except ValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise APIValidationError(detail) from error
        token.key = key
        return Response(ApiTokenCreatedSerializer(token, context=self.get_serializer_context()).data, status=201)

    def destroy(self, request, *args, **kwargs):
        """Revoke the token: its key is refused from now on."""
        revoke_token(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
