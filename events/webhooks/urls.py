from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.WebhookListView.as_view(), name="list"),
    path("new/", views.WebhookCreateView.as_view(), name="create"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.WebhookUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.WebhookDeleteView.as_view(), name="delete"),
    path("<int:pk>/rotate-secret/", views.RotateSecretView.as_view(), name="rotate"),
    path("<int:pk>/ping/", views.PingView.as_view(), name="ping"),
    path("<int:pk>/deliveries/<int:delivery_pk>/redeliver/", views.RedeliverView.as_view(), name="redeliver"),
]
