from django.urls import include, path
from django.views.generic import RedirectView

from permissions.views import TeamAddressView

from . import views, wizard_views

app_name = "events"
urlpatterns = [
    path("new/", views.event_create, name="create"),
    path("<int:event_id>/", views.DashboardView.as_view(), name="dashboard"),
    path("<int:event_id>/edit/", views.EventEditView.as_view(), name="edit"),
    path("<int:event_id>/publish/", views.EventPublishView.as_view(), name="publish"),
    path("<int:event_id>/unpublish/", views.EventUnpublishView.as_view(), name="unpublish"),
    path("<int:event_id>/delete/", views.EventDeleteView.as_view(), name="delete"),
    path("<int:event_id>/wizard/", wizard_views.resume, name="wizard-resume"),
    path("<int:event_id>/wizard/<slug:step>/", wizard_views.WizardStepView.as_view(), name="wizard"),
    # The team page lives with the roles (/roles/events/<id>/team/); the address beside the event's other pages
    # leads there. Before the generic pages of a service, which would take "team" for one.
    path("<int:event_id>/team/", TeamAddressView.as_view()),
    # Before the generic pages of a service, which would take "webhooks" for one.
    path("<int:event_id>/webhooks/", include("events.webhooks.urls")),
    path("<int:event_id>/<slug:kind>/", views.ServiceListView.as_view(), name="service-list"),
    path("<int:event_id>/<slug:kind>/new/", views.ServiceCreateView.as_view(), name="service-create"),
    path("<int:event_id>/<slug:kind>/<int:pk>/edit/", views.ServiceUpdateView.as_view(), name="service-edit"),
    path("<int:event_id>/<slug:kind>/<int:pk>/delete/", views.ServiceDeleteView.as_view(), name="service-delete"),
    # The public page moved to /e/<slug>/; old links keep working.
    path("e/<slug:slug>/", RedirectView.as_view(pattern_name="public:event", permanent=True)),
]
