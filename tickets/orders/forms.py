"""The public checkout's forms: which tickets (the event page), then who buys and who attends (the checkout page).

Both pages carry the selection in the same fields (``qty-<ticket id>``,
``amount-<ticket id>`` for donations, ``access`` for a hidden ticket's link),
so the checkout page passes it on as hidden inputs and reads it back. These
forms give early, friendly messages; the service decides (and locks).

``visit`` is a random value each rendering of the event page puts in its form,
so it ends up in the checkout page's URL: a browser that goes back to that
page (even re-fetching it) submits the same visit again, and the view turns
visit and browser into the order's checkout token (see views.py).
"""

import re
import secrets

from django import forms

from ..models import Ticket
from .rules import MAX_POSITIONS, parse_amount
from .services import Line

VISIT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TAMPERED = "This form was changed or is incomplete; nothing was saved. Go back to the event page and start again."
# Prices come from the event: a form that sends one was not made by us.
PRICE_FIELDS = re.compile(r"^(total|price|prices|price-.*)$")


def new_visit():
    return secrets.token_urlsafe(16)


class SelectionForm(forms.Form):
    """How many of each offered ticket, and the amount given for each donation ticket."""

    access = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    visit = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, offers, strict=True, **kwargs):
        """``strict``: check the offers' states and limits too (the event page); the checkout's submit leaves
        that to the service, which checks under the lock."""
        super().__init__(*args, **kwargs)
        self.offers, self.strict = offers, strict
        for offer in offers:
            ticket = offer.ticket
            choices = [(number, str(number)) for number in offer.quantity_choices]
            self.fields[f"qty-{ticket.pk}"] = forms.IntegerField(
                label=f"How many {ticket.name}",
                required=False,
                min_value=0,
                max_value=10_000,
                initial=0,
                widget=forms.Select(
                    choices=choices, attrs={"class": "form-select quantity", "data-quantity": ticket.pk}
                ),
            )
            if ticket.type == Ticket.DONATION:
                minimum = ticket.min_price or 0
                self.fields[f"amount-{ticket.pk}"] = forms.CharField(
                    label=f"Your amount for {ticket.name}",
                    required=False,
                    max_length=20,
                    initial=f"{minimum:.2f}",
                    widget=forms.NumberInput(
                        attrs={
                            "class": "form-control amount",
                            "min": f"{minimum:.2f}",
                            "step": "0.01",
                            "inputmode": "decimal",
                            "data-amount": ticket.pk,
                        }
                    ),
                )

    def rows(self):
        """Return (offer, quantity field, amount field or None) for the template, in the page's order."""
        return [
            (
                offer,
                self[f"qty-{offer.ticket.pk}"],
                self[f"amount-{offer.ticket.pk}"] if self._donation(offer) else None,
            )
            for offer in self.offers
        ]

    @staticmethod
    def _donation(offer):
        return offer.ticket.type == Ticket.DONATION

    def clean(self):
        cleaned = super().clean()
        chosen = 0
        for offer in self.offers:
            name = f"qty-{offer.ticket.pk}"
            quantity = cleaned.get(name) or 0
            if name in self._errors or not quantity:
                continue
            chosen += quantity
            if self.strict:
                self._check_quantity(offer, quantity)
            if self._donation(offer):
                self._check_amount(offer, cleaned)
        if not chosen and not self._errors:
            raise forms.ValidationError("Choose at least one ticket.", code="no_positions")
        if chosen > MAX_POSITIONS:  # checked before a form with a field per attendee is built
            raise forms.ValidationError(f"An order holds at most {MAX_POSITIONS} tickets.", code="too_many_positions")
        return cleaned

    def _check_quantity(self, offer, quantity):
        ticket, name = offer.ticket, f"qty-{offer.ticket.pk}"
        if not offer.on_sale:
            self.add_error(
                name, f"{ticket.name} is not on sale ({offer.state_label[0].lower()}{offer.state_label[1:]})."
            )
        elif quantity < ticket.min_order:
            self.add_error(name, f"Choose at least {ticket.min_order}.")
        elif quantity > offer.max_quantity:
            self.add_error(name, f"Choose at most {offer.max_quantity}.")

    def _check_amount(self, offer, cleaned):
        name = f"amount-{offer.ticket.pk}"
        if name in self._errors:
            return
        minimum = offer.ticket.min_price or 0
        try:
            amount = parse_amount(cleaned.get(name) or "")
        except ValueError as error:
            self.add_error(name, str(error))
            return
        if amount < minimum and self.strict:
            self.add_error(name, f"The minimum is {minimum:.2f}.")
        cleaned[name] = amount

    def chosen(self):
        """Return [(offer, quantity, amount or None)] of the tickets chosen, in the page's order (after is_valid)."""
        result = []
        for offer in self.offers:
            quantity = self.cleaned_data.get(f"qty-{offer.ticket.pk}") or 0
            if quantity:
                result.append((offer, quantity, self.cleaned_data.get(f"amount-{offer.ticket.pk}")))
        return result

    def carried(self):
        """Return the (name, value) pairs the checkout page passes on as hidden inputs."""
        pairs = [("access", self.cleaned_data.get("access") or "")]
        for offer, quantity, amount in self.chosen():
            pairs.append((f"qty-{offer.ticket.pk}", str(quantity)))
            if amount is not None:
                pairs.append((f"amount-{offer.ticket.pk}", str(amount)))
        return [(name, value) for name, value in pairs if value]


class CheckoutForm(forms.Form):
    """The buyer, and one attendee per chosen ticket; the visit makes a second submit find the first order."""

    name = forms.CharField(label="Your name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="Your email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    visit = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, chosen, **kwargs):
        super().__init__(*args, **kwargs)
        self.positions = []
        for offer, quantity, amount in chosen:
            for number in range(1, quantity + 1):
                index = len(self.positions)
                label = offer.ticket.name if quantity == 1 else f"{offer.ticket.name} ({number} of {quantity})"
                self.fields[f"attendee-{index}-name"] = forms.CharField(label="Attendee's name", max_length=200)
                self.fields[f"attendee-{index}-email"] = forms.EmailField(
                    label="Attendee's email (optional)", required=False
                )
                self.positions.append({"index": index, "label": label, "offer": offer, "amount": amount})

    def attendee_fields(self):
        """Return [(position, name field, email field)] for the template."""
        return [
            (position, self[f"attendee-{position['index']}-name"], self[f"attendee-{position['index']}-email"])
            for position in self.positions
        ]

    def clean_visit(self):
        visit = self.cleaned_data["visit"]
        if not VISIT.match(visit):
            raise forms.ValidationError(TAMPERED, code="tampered")
        return visit

    def clean(self):
        cleaned = super().clean()
        if any(PRICE_FIELDS.match(key) for key in (self.data or {})):
            raise forms.ValidationError(TAMPERED, code="tampered")
        return cleaned

    def lines(self):
        """Return the service's Lines, one per attendee (after is_valid)."""
        return [
            Line(
                ticket_id=position["offer"].ticket.pk,
                attendee_name=self.cleaned_data[f"attendee-{position['index']}-name"],
                attendee_email=self.cleaned_data.get(f"attendee-{position['index']}-email") or "",
                price=position["amount"],
            )
            for position in self.positions
        ]

    @property
    def total(self):
        """The total as the page shows it before placing (the service computes the one stored)."""
        total = 0
        for position in self.positions:
            ticket = position["offer"].ticket
            total += ticket.price if ticket.type == Ticket.PAID else (position["amount"] or 0)
        return total
