"""Amounts of money as the site writes them: two decimals and the currency's code ("25.00 EUR").

Prices are stored with two decimals, so an event sells in a currency written with two (ISO 4217); the
code is what a buyer needs to know what to transfer, whatever their language.
"""

from decimal import Decimal

CURRENCIES = (
    "AUD", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "INR", "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "USD",
    "ZAR",
)  # fmt: skip
DEFAULT_CURRENCY = "EUR"


def money(amount, currency):
    """Return the amount with two decimals and the currency's code: "25.00 EUR"."""
    return f"{Decimal(amount):.2f} {currency}"
