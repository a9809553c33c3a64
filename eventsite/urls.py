from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.health import healthz
from core.throttling import throttle_posts

from . import errors, token_pages, views
from .api_schema import SchemaView
from .forms import EmailAuthenticationForm, SiteLinkPasswordResetForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/send/", views.send_verification, name="verify-email-send"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify-email"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        throttle_posts("password_reset")(
            auth_views.PasswordResetView.as_view(
                form_class=SiteLinkPasswordResetForm,
                email_template_name="registration/password_reset_email.txt",
                subject_template_name="registration/password_reset_subject.txt",
            )
        ),
        name="password_reset",
    ),
    path("accounts/tokens/", token_pages.api_tokens, name="account-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_pages.revoke_api_token, name="account-token-revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", RedirectView.as_view(pattern_name="api-docs"), name="api"),
    path("api/v1/", include("eventsite.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start script as a file of its own: no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    # The orders pages first: the events app's /events/<id>/<kind>/ would take "orders" for a service.
    path("events/", include("tickets.urls")),
    path("events/", include("events.urls")),
    path("e/<slug:slug>/", include("events.public_urls")),
    path("roles/", include("permissions.urls")),
    path("notifications/", include("notifications.urls")),
]
urlpatterns += [
    # Last: a path under /api/ that no endpoint above answers is a JSON 404, with DEBUG on too.
    re_path(r"^api/(?P<rest>.*)$", errors.api_not_found),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Pages in the site's layout (templates/400.html ...), JSON under /api/.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
