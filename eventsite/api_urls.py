"""/api/v1/: every endpoint of the REST API.

The lists of an event are routed under the name their model declares as its
version list (``Track.version_list == "tracks"``), the one place those names live.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from events import api as events_api
from events.api_background import EventBackgroundView
from events.webhooks import api as webhooks_api
from notifications import api as notifications_api
from permissions import api as permissions_api
from permissions.token_api import ApiTokenViewSet
from tickets import api as tickets_api
from tickets.orders import api as orders_api

from .api_auth import TokenView
from .api_root import ApiRoot

EVENT_LISTS = [
    tickets_api.TicketViewSet,
    events_api.TrackViewSet,
    events_api.SessionViewSet,
    events_api.SpeakerViewSet,
    events_api.SponsorViewSet,
    events_api.MicrolocationViewSet,
    permissions_api.EventRoleViewSet,
    permissions_api.RoleInviteViewSet,
    orders_api.OrderViewSet,
    webhooks_api.WebhookViewSet,
]


class Router(DefaultRouter):
    APIRootView = ApiRoot


router = Router()
router.register("events", events_api.EventViewSet, basename="event")
router.register("me/events", events_api.MyEventsViewSet, basename="my-event")
for viewset in EVENT_LISTS:
    name = viewset.model.version_list
    router.register(rf"events/(?P<event_pk>\d+)/{name}", viewset, basename=f"event-{name}")
router.register(
    r"events/(?P<event_pk>\d+)/webhooks/(?P<webhook_pk>\d+)/deliveries",
    webhooks_api.WebhookDeliveryViewSet,
    basename="event-webhook-deliveries",
)
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
router.register("auth/tokens", ApiTokenViewSet, basename="api-tokens")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("events/<int:event_pk>/background/", EventBackgroundView.as_view(), name="event-background"),
    *router.urls,
]
