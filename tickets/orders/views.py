"""The buyer's pages under /e/<slug>/: checkout, the order page (by code and secret), live availability (JSON).

Public pages: the door loads the event by its slug and lets anyone who may
see it in (``operation = None``); orders are found by code and secret only.
"""

import hmac
import secrets
from functools import cached_property

from django.contrib import messages
from django.http import Http404, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.decorators import method_decorator
from django.views import View, generic

from core.conditional import make_etag, none_match
from core.throttling import throttle_posts
from core.versioning import counter_key, read_counters
from events.views import PublicEventView
from permissions.mixins import EventPermissionMixin

from .forms import VISIT, CheckoutForm, SelectionForm, new_visit
from .models import Order
from .qr import qr_svg
from .services import OrderRejected, SoldOut, expire_if_overdue, place_order
from .stock import offers

POSITION_FIELDS = {"attendee_name": "name", "attendee_email": "email"}
# A random value per browser: the checkout token is made of it and the visit, so a copied checkout
# URL (which holds the visit) never finds someone else's order.
BROWSER_COOKIE = "checkout_browser"
BROWSER_COOKIE_AGE = 30 * 24 * 3600
EXPIRED = "This page has expired (your browser did not send back its cookie); start again from the event page."


def checkout_token(browser, visit):
    """Return the order's checkout token for this browser's visit (the same on every submit of that page)."""
    return salted_hmac("tickets.checkout", f"{browser}:{visit}", algorithm="sha256").hexdigest()


@method_decorator(throttle_posts("checkout"), name="dispatch")
class CheckoutView(PublicEventView):
    """GET: the chosen tickets (from the event page's form) and a form for buyer and attendees. POST: place the order.

    A selection that does not hold is shown on the event page with its
    errors. A second submit of one checkout page (double click, or back and
    submit again, even after the browser fetched the page anew) lands on the
    first order: the page's URL holds the visit, the browser a cookie, and
    both make the order's checkout token.
    """

    checkout_template = "tickets/checkout.html"

    def get(self, request, *args, **kwargs):
        selection = SelectionForm(request.GET, offers=self.offers)
        if not selection.is_valid():
            return self.render_to_response(self.get_context_data(selection=selection))
        visit = selection.cleaned_data["visit"]
        if not VISIT.match(visit):  # a link made by hand: give the page a visit of its own, in its URL
            query = request.GET.copy()
            query["visit"] = new_visit()
            return redirect(f"{request.path}?{query.urlencode()}")
        form = CheckoutForm(chosen=selection.chosen(), initial={"visit": visit})
        response = self.render_checkout(selection, form)
        if not VISIT.match(request.COOKIES.get(BROWSER_COOKIE, "")):
            response.set_cookie(
                BROWSER_COOKIE,
                secrets.token_urlsafe(16),
                max_age=BROWSER_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def post(self, request, *args, **kwargs):
        selection = SelectionForm(request.POST, offers=self.offers, strict=False)
        if not selection.is_valid():
            return self.render_to_response(self.get_context_data(selection=selection))
        form = CheckoutForm(request.POST, chosen=selection.chosen())
        browser = request.COOKIES.get(BROWSER_COOKIE, "")
        if form.is_valid() and not VISIT.match(browser):
            form.add_error(None, EXPIRED)
        if not form.is_valid():
            return self.render_checkout(selection, form)
        access = [selection.cleaned_data["access"]] if selection.cleaned_data.get("access") else []
        try:
            placed = place_order(
                event=self.event,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                lines=form.lines(),
                access=access,
                checkout_token=checkout_token(browser, form.cleaned_data["visit"]),
            )
        except SoldOut as error:
            form.add_error(None, error.message)
            return self.render_checkout(selection, form, status=409)
        except OrderRejected as error:
            show_problems(form, error.problems)
            return self.render_checkout(selection, form)
        if not placed.created:
            messages.info(
                request, "You placed this order already; here it is. For another one, start again from the event page."
            )
        placed.order.event = self.event
        return redirect(placed.order.get_absolute_url())

    def render_checkout(self, selection, form, status=200):
        context = {"event": self.event, "selection": selection, "form": form, "carried": selection.carried()}
        return render(self.request, self.checkout_template, context, status=status)


def show_problems(form, problems):
    """Put the service's problems on the checkout form: on the attendee's or buyer's field, or above the form."""
    for problem in problems:
        if problem.position is not None and problem.field in POSITION_FIELDS:
            name = f"attendee-{problem.position}-{POSITION_FIELDS[problem.field]}"
        elif problem.position is None and problem.field in ("name", "email"):
            name = problem.field
        else:
            name = None
        if name is not None and name in form.fields:
            form.add_error(name, problem.message)
        elif problem.message not in form.non_field_errors():
            form.add_error(None, problem.message)


def find_order(event, code, secret):
    """Return the event's order with this code and secret; a wrong secret is a 404 like a missing order."""
    order = Order.objects.filter(event=event, code=code.upper()).first()
    if order is None or not hmac.compare_digest(order.secret.encode(), secret.encode()):
        raise Http404("No such order.")
    order.event = event
    return order


class OrderPageView(EventPermissionMixin, generic.TemplateView):
    """The buyer's order: status, positions with their QR codes, total, and how to pay while pending."""

    template_name = "tickets/order.html"
    event_slug_kwarg = "slug"

    def sees_event(self):
        # The order's secret opens it, whatever the event's state: an unpublished event's buyers keep their
        # tickets (a wrong secret is a 404, as for an event nobody may see).
        return True

    def get_context_data(self, **kwargs):
        order = expire_if_overdue(order=find_order(self.event, self.kwargs["code"], self.kwargs["secret"]))
        positions = list(order.positions.select_related("ticket"))
        show_codes = order.status in (Order.PAID, Order.PENDING)
        for position in positions:
            position.qr = qr_svg(position.secret, title=f"{position.ticket.name}: {position.attendee_name}")
        return super().get_context_data(order=order, positions=positions, show_codes=show_codes, **kwargs)


class AvailabilityView(EventPermissionMixin, View):
    """GET /e/<slug>/availability/: every offered ticket's state as JSON, for the event page's live updates.

    The ETag is made of the event's counters (tickets, availability) and the states
    computed as of now (a deadline or a sales start passing moves no counter).
    """

    event_slug_kwarg = "slug"

    @cached_property
    def offers(self):
        return offers(self.event, access=self.request.GET.get("access") or None, now=timezone.now())

    def get(self, request, *args, **kwargs):
        event_id = self.event.pk
        names = ("event", "tickets", "public.availability")
        counters = read_counters([counter_key("event", event_id, name) for name in names])
        states = tuple((offer.ticket.pk, offer.state, offer.few_left, offer.max_quantity) for offer in self.offers)
        etag = make_etag("availability", event_id, tuple(counters.values()), states)
        if none_match(request, etag):
            response = HttpResponseNotModified()
        else:
            response = JsonResponse({"tickets": [offer.as_json() for offer in self.offers]})
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        return response
