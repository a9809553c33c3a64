"""The public pages of an event, under /e/<slug>/ (the event's page; more live beside it)."""

from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.PublicEventView.as_view(), name="event"),
]
