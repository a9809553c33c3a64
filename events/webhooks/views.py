"""The webhook pages of an event: list, create, edit, delete, rotate the secret, test ping, the delivery log.

Behind the one HTML door (permissions.mixins.EventPermissionMixin, service
"webhook"); every change goes through the services. A new secret is shown
once: kept in the session until the webhook's page has shown it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import generic

from permissions.mixins import EventPermissionMixin
from permissions.names import CREATE, DELETE, READ, UPDATE

from . import services
from .forms import NewWebhookForm, WebhookForm
from .kinds import KINDS
from .models import Webhook

SHOWN_ONCE = "webhook-secret-{pk}"


def keep_secret_to_show(request, webhook, secret):
    request.session[SHOWN_ONCE.format(pk=webhook.pk)] = secret


class WebhookMixin(EventPermissionMixin):
    service = "webhook"

    def get_webhook(self):
        return get_object_or_404(
            Webhook.objects.filter(event=self.event).select_related("created_by"), pk=self.kwargs["pk"]
        )

    def detail_url(self, webhook):
        return reverse("events:webhooks:detail", args=[self.event.pk, webhook.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        perms = self.event_permissions
        context.update(
            can_create=perms.can(CREATE, "webhook"),
            can_update=perms.can(UPDATE, "webhook"),
            can_delete=perms.can(DELETE, "webhook"),
            kind_labels=KINDS,
        )
        return context


class ServiceFormMixin:
    """Run a service with the form's data; its ValidationError becomes the form's errors."""

    def run_service(self, form, service, **kwargs):
        try:
            return service(**kwargs)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
            return None


class WebhookListView(WebhookMixin, generic.ListView):
    template_name = "events/webhooks/list.html"
    operation = READ
    context_object_name = "webhooks"

    def get_queryset(self):
        return Webhook.objects.filter(event=self.event).select_related("created_by")


class WebhookCreateView(WebhookMixin, ServiceFormMixin, generic.FormView):
    template_name = "events/webhooks/form.html"
    operation = CREATE
    form_class = NewWebhookForm

    def form_valid(self, form):
        made = self.run_service(
            form, services.create_webhook, event=self.event, by=self.request.user, **form.cleaned_data
        )
        if made is None:
            return self.form_invalid(form)
        webhook, secret = made
        keep_secret_to_show(self.request, webhook, secret)
        return redirect(self.detail_url(webhook))


class WebhookUpdateView(WebhookMixin, ServiceFormMixin, generic.FormView):
    template_name = "events/webhooks/form.html"
    operation = UPDATE
    form_class = WebhookForm

    def get_initial(self):
        webhook = self.webhook
        return {
            "url": webhook.url,
            "description": webhook.description,
            "kinds": webhook.kinds,
            "active": webhook.active,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(webhook=self.webhook, **kwargs)

    @property
    def webhook(self):
        if not hasattr(self, "_webhook"):
            self._webhook = self.get_webhook()
        return self._webhook

    def form_valid(self, form):
        if self.run_service(form, services.update_webhook, webhook=self.webhook, **form.cleaned_data) is None:
            return self.form_invalid(form)
        messages.success(self.request, "Saved the webhook.")
        return redirect(self.detail_url(self.webhook))


class WebhookDetailView(WebhookMixin, generic.TemplateView):
    """The webhook, its secret once after it was made or rotated, and its delivery log (newest first)."""

    template_name = "events/webhooks/detail.html"
    operation = READ
    paginate_by = 50

    def get_context_data(self, **kwargs):
        webhook = self.get_webhook()
        page = Paginator(webhook.deliveries.all(), self.paginate_by).get_page(self.request.GET.get("page"))
        for delivery in page:
            delivery.pretty_body = services.body_text(delivery)
        return super().get_context_data(
            webhook=webhook,
            page_obj=page,
            deliveries=page.object_list,
            is_paginated=page.has_other_pages(),
            secret=self.request.session.pop(SHOWN_ONCE.format(pk=webhook.pk), None),
            **kwargs,
        )


class WebhookDeleteView(WebhookMixin, generic.TemplateView):
    template_name = "events/webhooks/confirm.html"
    operation = DELETE

    def get_context_data(self, **kwargs):
        return super().get_context_data(webhook=self.get_webhook(), action="delete", **kwargs)

    def post(self, request, *args, **kwargs):
        webhook = self.get_webhook()
        services.delete_webhook(webhook=webhook)
        messages.success(request, f"Deleted the webhook to {webhook.url}.")
        return redirect("events:webhooks:list", self.event.pk)


class RotateSecretView(WebhookMixin, generic.TemplateView):
    template_name = "events/webhooks/confirm.html"
    operation = UPDATE

    def get_context_data(self, **kwargs):
        return super().get_context_data(webhook=self.get_webhook(), action="rotate", **kwargs)

    def post(self, request, *args, **kwargs):
        webhook = self.get_webhook()
        keep_secret_to_show(request, webhook, services.rotate_secret(webhook=webhook))
        return redirect(self.detail_url(webhook))


class PingView(WebhookMixin, generic.View):
    operation = UPDATE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        webhook = self.get_webhook()
        services.send_ping(webhook=webhook)
        messages.success(request, "Ping queued: its outcome appears in the log below in a moment.")
        return redirect(self.detail_url(webhook))


class RedeliverView(WebhookMixin, generic.View):
    operation = UPDATE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        webhook = self.get_webhook()
        delivery = get_object_or_404(webhook.deliveries.all(), pk=self.kwargs["delivery_pk"])
        services.redeliver(delivery=delivery)
        messages.success(request, f"{delivery.kind} queued again (same webhook-id): see the log below.")
        return redirect(self.detail_url(webhook))
