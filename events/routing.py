from django.urls import path

from .consumers import EventChangesConsumer

websocket_urlpatterns = [path("ws/events/<int:event_id>/", EventChangesConsumer.as_asgi())]
