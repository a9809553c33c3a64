"""Organizer pages of an event's orders, under /events/<id>/orders/ (included before the events app's pages)."""

from django.urls import path

from .orders import organizer_views as views

app_name = "orders"
urlpatterns = [
    path("<int:event_id>/orders/", views.OrderListView.as_view(), name="list"),
    path("<int:event_id>/orders/attendees.csv", views.AttendeeExportView.as_view(), name="attendees-csv"),
    path("<int:event_id>/orders/<int:pk>/", views.OrderDetailView.as_view(), name="detail"),
    path("<int:event_id>/orders/<int:pk>/delete/", views.OrderDeleteView.as_view(), name="delete"),
    path("<int:event_id>/orders/<int:pk>/<slug:action>/", views.OrderActionView.as_view(), name="action"),
]
