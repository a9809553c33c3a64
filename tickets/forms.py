"""The ticket form and the inline formset the wizard's tickets step shows (one prefix per row)."""

from django import forms
from django.utils.translation import ngettext_lazy

from core.forms import DateTimeInput
from events.models import Event

from .models import OrderPosition, Ticket
from .orders.stock import quantity_shortfalls, shortfall_message

MAX_TICKETS = 100


class TicketForm(forms.ModelForm):
    # The version the organizer saw, so a save over someone else's later edit is refused.
    seen_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    # Shown in the row's details (cog), the rest in the row itself.
    DETAIL_FIELDS = ("description", "sales_starts_at", "sales_ends_at", "min_order", "max_order", "hidden")

    class Meta:
        model = Ticket
        fields = [
            "type",
            "name",
            "price",
            "min_price",
            "quantity",
            "description",
            "sales_starts_at",
            "sales_ends_at",
            "min_order",
            "max_order",
            "hidden",
        ]
        widgets = {
            # The add buttons choose the type; a row keeps it.
            "type": forms.HiddenInput,
            "name": forms.TextInput(attrs={"placeholder": "Ticket name", "aria-label": "Ticket name"}),
            "price": forms.NumberInput(attrs={"placeholder": "Price", "aria-label": "Price", "step": "0.01"}),
            "min_price": forms.NumberInput(
                attrs={"placeholder": "Minimum (optional)", "aria-label": "Minimum donation", "step": "0.01"}
            ),
            "quantity": forms.NumberInput(attrs={"aria-label": "Quantity", "min": "0"}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "sales_starts_at": DateTimeInput(),
            "sales_ends_at": DateTimeInput(),
            "hidden": forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
        }
        labels = {"hidden": "Hide this ticket from the public page"}
        # The placeholder says it in the row; the model's help text would crowd it.
        help_texts = {"min_price": ""}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Free and donation tickets never show the price input; their price is 0.
        self.fields["price"].required = False
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
        else:
            self.fields["price"].initial = None

    def has_changed(self):
        # A new row comes from an add button (the formset has no spare rows): it is meant to be a ticket, so
        # it is validated even if nobody typed into it ("This field is required." beside its name), not
        # dropped in silence. A saved row has changed when something but its preset type did.
        return self.instance.pk is None or any(name != "type" for name in self.changed_data)

    # Set by the formset when this saved row was marked for removal but has orders: it is shown again, kept.
    removal_refused = False

    @property
    def marked_for_removal(self):
        """Whether the page sends this row as removed (hidden, its DELETE box ticked)."""
        return "DELETE" in self.fields and bool(self["DELETE"].value()) and not self.removal_refused

    def delete_box(self):
        """The row's DELETE box, unticked again where removing the ticket was refused."""
        box = self["DELETE"]
        ticked = self.marked_for_removal
        return box.field.widget.render(box.html_name, ticked, attrs={"id": box.auto_id}, renderer=self.renderer)

    @property
    def details_have_errors(self):
        return any(self[name].errors for name in self.DETAIL_FIELDS)

    def clean(self):
        cleaned = super().clean()
        ticket_type = cleaned.get("type")
        if ticket_type in (Ticket.FREE, Ticket.DONATION):
            cleaned["price"] = Ticket._meta.get_field("price").default
        elif ticket_type == Ticket.PAID and cleaned.get("price") is None and "price" not in self._errors:
            self.add_error("price", "A paid ticket needs a price.")
        if ticket_type != Ticket.DONATION:
            cleaned["min_price"] = None
        # A field that failed its own validation keeps the instance's old value;
        # blank it so the model's rules skip it instead of adding a second error.
        for name in self._errors:
            if name in self._meta.fields:
                setattr(self.instance, name, None)
        return cleaned

    def validate_constraints(self):
        # Django would run one SELECT per check constraint per row (hundreds for
        # a full formset). Model.clean() applies the same rules in Python, the
        # formset's clean() the unique names; the database stays the last guard.
        pass


class BaseTicketFormSet(forms.BaseInlineFormSet):
    """The tickets of one event; cross-row rules and what the role may change live in clean()."""

    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "An event can have at most %(num)d ticket; remove some rows.",
            "An event can have at most %(num)d tickets; remove some rows.",
            "num",
        ),
        "missing_management_form": "The list of tickets arrived incomplete (%(field_names)s); nothing was saved.",
    }

    def __init__(self, *args, may_create=True, may_update=True, may_delete=True, **kwargs):
        self.may_create, self.may_update, self.may_delete = may_create, may_update, may_delete
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.event = self.instance  # the row's secret link needs the event: no query per row
        if not self.may_update and i < self.initial_form_count():
            for name in TicketForm._meta.fields:
                form.fields[name].disabled = True
        return form

    @property
    def is_tampered(self):
        """Whether the management form is missing or claims more rows than a formset may build."""
        if not self.is_bound:
            return False
        management = self.management_form
        return not management.is_valid() or management.cleaned_data["TOTAL_FORMS"] > self.absolute_max

    @property
    def rows_with_errors(self):
        """Return how many rows have errors (for a summary above a long table)."""
        return sum(1 for form in self.forms if form.is_bound and form.errors) if self.is_bound else 0

    def kept_forms(self):
        """Return the rows that stay: existing rows not marked for deletion and new rows someone filled in."""
        return [
            form
            for index, form in enumerate(self.forms)
            if not self._should_delete_form(form) and (index < self.initial_form_count() or form.has_changed())
        ]

    def clean(self):
        super().clean()
        problems = []
        if any(form.instance.pk is None for form in self.initial_forms):
            problems.append("The list of tickets is out of date (a ticket was removed meanwhile); reload the page.")
        new_rows = [form for form in self.extra_forms if form.has_changed()]
        if new_rows and not self.may_create:
            problems.append("Your role may not add tickets.")
        if self.deleted_forms and not self.may_delete:
            problems.append("Your role may not remove tickets.")
        problems += self._sold_tickets_removed()
        self._check_unique_names()
        self._check_lowered_quantities()
        if problems:
            raise forms.ValidationError(problems)

    def _sold_tickets_removed(self):
        """Return a message for each removed ticket that has orders (their positions keep it)."""
        doomed = {form.instance.pk: form.instance for form in self.deleted_forms if form.instance.pk}
        if not doomed:
            return []
        sold = set(OrderPosition.objects.filter(ticket_id__in=doomed).values_list("ticket_id", flat=True).distinct())
        for form in self.deleted_forms:
            form.removal_refused = form.instance.pk in sold  # the page shows it again, not marked
        return [
            f"{doomed[pk].name} has orders, so it cannot be removed; hide it or end its sales instead."
            for pk in sorted(sold)
        ]

    def lowered_quantities(self):
        """Return {ticket id: new quantity} for the saved tickets kept with a lower quantity than they had."""
        return {
            form.instance.pk: form.cleaned_data["quantity"]
            for form in self.initial_forms
            if form.instance.pk
            and "quantity" in form.changed_data
            and form.cleaned_data.get("quantity") is not None
            and form.cleaned_data["quantity"] < form.initial["quantity"]
            and not self._should_delete_form(form)
        }

    def _check_lowered_quantities(self):
        """Add an error to each row whose quantity would fall below what orders hold (saving checks again, locked)."""
        short = quantity_shortfalls(self.lowered_quantities(), event_id=self.instance.pk)
        for form in self.initial_forms:
            if form.instance.pk in short:
                form.add_error("quantity", shortfall_message(short[form.instance.pk]))

    def _check_unique_names(self):
        """Add an error to each row whose name another kept row (or a ticket not shown) already uses."""
        shown = [form.instance.pk for form in self.initial_forms if form.instance.pk]
        names = self.instance.tickets.exclude(pk__in=shown).order_by().values_list("name", flat=True)
        taken = {name.casefold() for name in names}
        for form in self.kept_forms():
            name = getattr(form, "cleaned_data", {}).get("name")
            if not name:
                continue
            if name.casefold() in taken:
                form.add_error("name", f"Another ticket of this event is already called “{name}”.")
            taken.add(name.casefold())


TicketFormSet = forms.inlineformset_factory(
    Event,
    Ticket,
    form=TicketForm,
    formset=BaseTicketFormSet,
    extra=0,
    can_delete=True,
    # New rows are simply taken out of the page; only saved rows need a DELETE box.
    can_delete_extra=False,
    max_num=MAX_TICKETS,
    validate_max=True,
    validate_min=False,
    # Rows marked for deletion count towards TOTAL_FORMS; anything beyond is tampering.
    absolute_max=2 * MAX_TICKETS,
)
