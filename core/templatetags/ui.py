"""Template helpers: form fields with Bootstrap's classes; amounts of money."""

from django import forms, template

from core.money import money as written_money

register = template.Library()

CHECK_WIDGETS = (forms.CheckboxInput,)
SELECT_WIDGETS = (forms.Select, forms.SelectMultiple)


@register.inclusion_tag("includes/field.html")
def field(bound_field, label=True):
    """Render one bound field: label, widget with Bootstrap classes, help and errors."""
    widget = bound_field.field.widget
    if isinstance(widget, CHECK_WIDGETS):
        css, kind = "form-check-input", "check"
    elif isinstance(widget, forms.CheckboxSelectMultiple):
        css, kind = "", "multi"
    elif isinstance(widget, SELECT_WIDGETS):
        css, kind = "form-select", "input"
    else:
        css, kind = "form-control", "input"
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": css.strip()} if css.strip() else {}
    return {"field": bound_field, "widget": bound_field.as_widget(attrs=attrs), "kind": kind, "show_label": label}


@register.filter
def money(amount, currency):
    """``{{ order.total|money:event.currency }}``: "25.00 EUR" (nothing for no amount)."""
    return "" if amount is None or amount == "" else written_money(amount, currency)


@register.filter
def price_in(ticket, currency):
    """``{{ ticket|price_in:event.currency }}``: the ticket's price as buyers read it (Ticket.price_text)."""
    return ticket.price_text(currency)
