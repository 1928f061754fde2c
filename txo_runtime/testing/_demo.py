"""Deterministic demo data: the same customers for the local server and the CAP service."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from txo_runtime.testing._soap import SoapOperation

_FIRST = ("Anna", "Liam", "Sofia", "Noah", "Mia", "Lucas", "Emma", "Elias", "Aoife", "Sean")
_LAST = (
    "O'Brien",
    "Smith",
    "Müller",
    "Jensen",
    "Rossi",
    "D'Angelo",
    "García",
    "Nowak",
    "Dubois",
    "O'Neill",
    "Virtanen",
)
_PLACES = (
    ("Copenhagen", "DK"),
    ("Aarhus", "DK"),
    ("Dublin", "IE"),
    ("Berlin", "DE"),
    ("Milan", "IT"),
    ("Madrid", "ES"),
    ("Warsaw", "PL"),
    ("Lyon", "FR"),
    ("Helsinki", "FI"),
    ("L'Aquila", "IT"),
)
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret-value-123"  # noqa: S105 - a documented demo value
DEMO_SOAP_SERVICE = "CustomerService"
DEMO_SOAP_CUSTOMERS = 20


def demo_customer(number: int) -> dict[str, Any]:
    """Customer ``number`` (1-based); pure function of the number, so runs are repeatable."""
    city, country = _PLACES[(number * 7) % len(_PLACES)]
    cents = (number * 7919) % 10_000_000  # < 100,000.00, spread out, no randomness
    created = _EPOCH + timedelta(hours=number * 5, minutes=number % 60)
    return {
        "ID": number,
        "Name": f"{_FIRST[number % len(_FIRST)]} {_LAST[number % len(_LAST)]}",
        "City": city,
        "Country": country,
        "Revenue": round(cents / 100, 2),
        "CreatedAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def demo_customers(count: int = 250) -> list[dict[str, Any]]:
    return [demo_customer(number) for number in range(1, count + 1)]


def demo_soap_operations() -> dict[str, SoapOperation]:
    """``GetCustomers(country?)``: what the template's SOAP starter calls (``soap.operation``
    in its config), answering the first 20 demo customers."""
    from txo_runtime.testing._soap import SoapOperation

    def get_customers(parameters: dict[str, Any]) -> list[dict[str, Any]]:
        rows = demo_customers(DEMO_SOAP_CUSTOMERS)
        country = parameters.get("Country")
        return [row for row in rows if country is None or row["Country"] == country]

    fields = {"ID": int, "Name": str, "City": str, "Country": str, "Revenue": float}
    return {
        "GetCustomers": SoapOperation(
            get_customers, parameters={"Country": str}, fields={**fields, "CreatedAt": str}
        )
    }
