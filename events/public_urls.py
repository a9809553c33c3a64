"""The public pages of an event, under /e/<slug>/: its page, the schedule with its feeds, sessions, speakers,
the checkout and the buyers' order pages.

The feed names follow what conference tools look for (pretalx and frab use
schedule.xml, schedule.json and schedule.ics); docs/schedule.md lists them.
"""

from django.urls import path

from tickets.orders import views as order_views

from . import schedule_api, schedule_views, views

app_name = "public"
urlpatterns = [
    path("", views.PublicEventView.as_view(), name="event"),
    path("schedule/", schedule_views.ScheduleView.as_view(), name="schedule"),
    path("schedule.ics", schedule_api.ScheduleICalView.as_view(), name="schedule-ics"),
    path("schedule.xml", schedule_api.ScheduleXMLView.as_view(), name="schedule-xml"),
    path("schedule.json", schedule_api.ScheduleFrabJSONView.as_view(), name="schedule-json"),
    path("schedule/data.json", schedule_api.ScheduleDataView.as_view(), name="schedule-data"),
    path("schedule/my/", schedule_views.PersonalScheduleCreateView.as_view(), name="personal-create"),
    path("schedule/my/<slug:token>/", schedule_views.PersonalScheduleManageView.as_view(), name="personal-manage"),
    path("schedule/my/<slug:token>.ics", schedule_api.PersonalICalView.as_view(), name="personal-ics"),
    path("sessions/<int:session_id>/", schedule_views.SessionPageView.as_view(), name="session"),
    path("sessions/<int:session_id>.ics", schedule_api.SessionICalView.as_view(), name="session-ics"),
    path("speakers/<int:speaker_id>/", schedule_views.SpeakerPageView.as_view(), name="speaker"),
    path("checkout/", order_views.CheckoutView.as_view(), name="checkout"),
    path("availability/", order_views.AvailabilityView.as_view(), name="availability"),
    path("orders/<str:code>/<str:secret>/", order_views.OrderPageView.as_view(), name="order"),
]
