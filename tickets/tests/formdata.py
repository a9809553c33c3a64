"""POST data for the tickets formset, as the wizard page would send it."""

ROW_DEFAULTS = {"type": "free", "price": "", "min_price": "", "quantity": "100", "min_order": "1", "max_order": "10"}


def ticket_row(ticket):
    """Return the fields of a saved ticket as its row posts them back unchanged."""
    row = {
        "id": str(ticket.pk),
        "event": str(ticket.event_id),
        "seen_version": str(ticket.version),
        "type": ticket.type,
        "name": ticket.name,
        "price": str(ticket.price),
        "min_price": "" if ticket.min_price is None else str(ticket.min_price),
        "quantity": str(ticket.quantity),
        "description": ticket.description,
        "min_order": str(ticket.min_order),
        "max_order": str(ticket.max_order),
    }
    if ticket.hidden:
        row["hidden"] = "on"
    return row


def ticket_formset_data(rows, *, initial=0, prefix="tickets", **extra):
    """Return POST data for the rows (dicts of field values; new rows get the defaults)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "100",
        **extra,
    }
    for index, row in enumerate(rows):
        values = row if index < initial else {**ROW_DEFAULTS, **row}
        for name, value in values.items():
            if value is not None:
                data[f"{prefix}-{index}-{name}"] = value
    return data
