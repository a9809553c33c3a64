"""The public pages of an event, under /e/<slug>/: the event's page, its checkout and the buyers' order pages."""

from django.urls import path

from tickets.orders import views as order_views

from . import views

app_name = "public"
urlpatterns = [
    path("", views.PublicEventView.as_view(), name="event"),
    path("checkout/", order_views.CheckoutView.as_view(), name="checkout"),
    path("availability/", order_views.AvailabilityView.as_view(), name="availability"),
    path("orders/<str:code>/<str:secret>/", order_views.OrderPageView.as_view(), name="order"),
]
