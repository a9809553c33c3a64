"""The rules of an order, checked before anything is written: what is wrong is said all at once, by field.

``place_order()`` (services.py) calls these: first what needs no ticket
(buyer, attendees, amounts), then, under the lock, what needs the tickets.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.formats import date_format

from ..models import Ticket
from .models import Order
from .stock import ENDED, NOT_YET, sales_phase

MAX_POSITIONS = 100
MAX_PRICE = Decimal("99999999.99")
NAME_LENGTH = Order._meta.get_field("name").max_length
UNAVAILABLE = "This ticket is not available."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an order: about the buyer (``field``) or about one position (``position``, ``field``)."""

    message: str
    code: str
    field: str | None = None
    position: int | None = None


class OrderRejected(Exception):
    """The order cannot be placed as asked; ``problems`` says everything that is wrong. Nothing was saved."""

    def __init__(self, problems):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class SoldOut(Exception):
    """A ticket has fewer left than asked for. Nothing was saved."""

    def __init__(self, ticket, left):
        self.ticket, self.left = ticket, left
        self.message = f"Only {left} of {ticket.name} left; choose fewer." if left else f"{ticket.name} is sold out."
        super().__init__(self.message)


def clean_text(value):
    """Return the value stripped, or "" for anything but a string."""
    return value.strip() if isinstance(value, str) else ""


def _email_problem(value, *, field, position=None):
    try:
        validate_email(value)
    except ValidationError:
        return Problem("Enter a valid email address.", "invalid_email", field=field, position=position)
    return None


def check_buyer(name, email):
    """Return the problems of the buyer's name and email."""
    problems = []
    if not name:
        problems.append(Problem("Enter your name.", "required", field="name"))
    elif len(name) > NAME_LENGTH:
        problems.append(Problem(f"Use at most {NAME_LENGTH} characters.", "too_long", field="name"))
    if not email:
        problems.append(Problem("Enter your email address.", "required", field="email"))
    else:
        problems.append(_email_problem(email, field="email"))
    return [problem for problem in problems if problem]


def parse_amount(value):
    """Return the donation amount as a Decimal with cents, or raise ValueError saying what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise ValueError("Enter the amount as a number, e.g. 10.50.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("Enter the amount as a number, e.g. 10.50.") from None
    if not amount.is_finite():
        raise ValueError("Enter the amount as a number, e.g. 10.50.")
    if amount < 0:
        raise ValueError("The amount cannot be negative.")
    if amount > MAX_PRICE:
        raise ValueError(f"The amount can be at most {MAX_PRICE}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimal places.")
    return abs(amount.quantize(Decimal("0.01")))  # "-0" is 0.00, not the -0.00 an email would print


def check_lines(lines):
    """Check what needs no ticket: the count, ids, attendees and amounts. Returns (problems, amounts by position)."""
    problems, amounts = [], {}
    if not lines:
        return [Problem("Choose at least one ticket.", "no_positions", field="positions")], amounts
    if len(lines) > MAX_POSITIONS:
        return [Problem(f"An order holds at most {MAX_POSITIONS} tickets.", "too_many_positions", "positions")], {}
    for index, line in enumerate(lines):
        ticket_id = line.ticket_id
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or not 0 < ticket_id < 2**63:
            problems.append(Problem(UNAVAILABLE, "unknown_ticket", field="ticket", position=index))
        name, email = clean_text(line.attendee_name), clean_text(line.attendee_email)
        if not name:
            problems.append(Problem("Enter the attendee's name.", "required", field="attendee_name", position=index))
        elif len(name) > NAME_LENGTH:
            problems.append(
                Problem(f"Use at most {NAME_LENGTH} characters.", "too_long", field="attendee_name", position=index)
            )
        if email:
            problems.append(_email_problem(email, field="attendee_email", position=index))
        if line.price is not None:
            try:
                amounts[index] = parse_amount(line.price)
            except ValueError as error:
                problems.append(Problem(str(error), "invalid_price", field="price", position=index))
    return [problem for problem in problems if problem], amounts


def check_tickets(lines, tickets, amounts, *, event, access, sells_hidden, now):
    """Check what needs the locked tickets: availability to this buyer, sales windows, limits, prices."""
    problems, counts, first_position = [], {}, {}
    for index, line in enumerate(lines):
        ticket = tickets.get(line.ticket_id)
        if ticket is None or (ticket.hidden and not sells_hidden and ticket.secret not in access):
            problems.append(Problem(UNAVAILABLE, "unknown_ticket", field="ticket", position=index))
            continue
        counts[ticket.pk] = counts.get(ticket.pk, 0) + 1
        first_position.setdefault(ticket.pk, index)
        price_given = index in amounts or line.price is not None
        if ticket.type == Ticket.DONATION:
            minimum = ticket.min_price or Decimal("0.00")
            if not price_given:
                problems.append(
                    Problem(f"Enter the amount you give for {ticket.name}.", "price_required", "price", index)
                )
            elif index in amounts and amounts[index] < minimum:
                problems.append(
                    Problem(f"The minimum for {ticket.name} is {minimum}.", "price_below_minimum", "price", index)
                )
        elif price_given:
            problems.append(
                Problem(
                    f"{ticket.name} has a fixed price: send no price (prices come from the event).",
                    "price_not_allowed",
                    "price",
                    index,
                )
            )
    for ticket_id, count in counts.items():
        ticket, index = tickets[ticket_id], first_position[ticket_id]
        phase = sales_phase(ticket, event=event, now=now)
        if phase == NOT_YET:
            when = date_format(timezone.localtime(ticket.sales_starts_at), "j M Y, H:i")
            problems.append(Problem(f"Sales of {ticket.name} start on {when}.", "sales_not_started", "ticket", index))
        elif phase == ENDED:
            problems.append(Problem(f"Sales of {ticket.name} have ended.", "sales_ended", "ticket", index))
        if count < ticket.min_order:
            problems.append(
                Problem(f"Order at least {ticket.min_order} of {ticket.name}.", "below_min", "ticket", index)
            )
        elif count > ticket.max_order:
            problems.append(
                Problem(f"Order at most {ticket.max_order} of {ticket.name} at a time.", "above_max", "ticket", index)
            )
    return problems, counts
