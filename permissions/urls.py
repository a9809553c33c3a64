from django.urls import path

from . import views

app_name = "permissions"
urlpatterns = [
    path("events/<int:event_id>/team/", views.TeamView.as_view(), name="team"),
    path("invites/<int:pk>/answer/", views.answer_invite, name="invite-answer"),
    path("invites/<str:token>/", views.respond_to_invite, name="invite-respond"),
]
