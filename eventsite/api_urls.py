"""/api/v1/: every endpoint of the REST API."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from events import api as events_api
from events.api_background import EventBackgroundView
from notifications import api as notifications_api
from permissions import api as permissions_api
from tickets import api as tickets_api

router = DefaultRouter()
router.register("events", events_api.EventViewSet, basename="event")
router.register("me/events", events_api.MyEventsViewSet, basename="my-event")
EVENT = r"events/(?P<event_pk>\d+)"
router.register(f"{EVENT}/tickets", tickets_api.TicketViewSet, basename="event-tickets")
router.register(f"{EVENT}/tracks", events_api.TrackViewSet, basename="event-tracks")
router.register(f"{EVENT}/sessions", events_api.SessionViewSet, basename="event-sessions")
router.register(f"{EVENT}/speakers", events_api.SpeakerViewSet, basename="event-speakers")
router.register(f"{EVENT}/sponsors", events_api.SponsorViewSet, basename="event-sponsors")
router.register(f"{EVENT}/microlocations", events_api.MicrolocationViewSet, basename="event-microlocations")
router.register(f"{EVENT}/roles", permissions_api.EventRoleViewSet, basename="event-roles")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("events/<int:pk>/background/", EventBackgroundView.as_view(), name="event-background"),
    *router.urls,
]
