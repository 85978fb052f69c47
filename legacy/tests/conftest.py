"""Fixtures: a factory of valid events per country and business line, and a renderer."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

LEGACY = Path(__file__).resolve().parent.parent
if str(LEGACY) not in sys.path:
    sys.path.insert(0, str(LEGACY))

from invoicing import render_event  # noqa: E402

COUNTRY_DEFAULTS = {
    "US": ("New York", "America/New_York", "en_US", "USD"),
    "GB": ("London", "Europe/London", "en_GB", "GBP"),
    "DE": ("Berlin", "Europe/Berlin", "de_DE", "EUR"),
    "FR": ("Paris", "Europe/Paris", "fr_FR", "EUR"),
    "NL": ("Amsterdam", "Europe/Amsterdam", "nl_NL", "EUR"),
    "CH": ("Zürich", "Europe/Zurich", "de_CH", "CHF"),
    "SE": ("Stockholm", "Europe/Stockholm", "sv_SE", "SEK"),
    "JP": ("東京", "Asia/Tokyo", "ja_JP", "JPY"),
    "IN": ("Mumbai", "Asia/Kolkata", "en_IN", "INR"),
    "MX": ("Ciudad de México", "America/Mexico_City", "es_MX", "MXN"),
}


def build_event(country: str = "DE", business_line: str = "eats", **overrides) -> dict:
    """A valid event; keyword arguments replace top-level fields (``None`` removes one)."""
    city, zone, locale, currency = COUNTRY_DEFAULTS[country]
    event = {
        "schema_version": 1,
        "event_id": "0b8f3a52-6c1e-4f7d-9d2a-5e4b3c2a1f00",
        "event_type": "trip_completed" if business_line == "rides" else "order_delivered",
        "occurred_at": "2026-03-14T12:00:00Z",
        "country": country,
        "city": city,
        "time_zone": zone,
        "locale": locale,
        "business_line": business_line,
        "currency": currency,
        "invoice_seq": 101,
        "customer": {"id": "cus_1", "name": "Alex Kim", "email": "alex@example.com"},
        "provider": {"id": "prv_1", "legal_name": "Fleet Partner Ltd", "tax_id": "TX-998877"},
        "charges": [],
    }
    if country in ("IN",):
        event["customer"]["state"] = "MH"
        event["provider"]["state"] = "MH"
    if country == "US":
        event["customer"]["state"] = "NY"
    if business_line == "rides":
        event["trip"] = {"distance_km": "12.4", "duration_min": 21, "pickup": "A Street 1", "dropoff": "B Road 2"}
    else:
        event["order"] = {"restaurant": "Corner Kitchen", "items": []}
    for key, value in overrides.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def charges(*pairs) -> list[dict]:
    return [{"kind": kind, "amount": amount} for kind, amount in pairs]


def items(*rows) -> list[dict]:
    return [{"name": n, "quantity": q, "unit_price": p, "category": c} for n, q, p, c in rows]


def encode(event: dict) -> bytes:
    try:
        return json.dumps(event, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can only travel as a \u escape
        return json.dumps(event).encode("ascii")


def render(event: dict) -> tuple[dict, str]:
    result = render_event(encode(event))
    return json.loads(result["invoice"]), result["html"]


@pytest.fixture
def make_event():
    return lambda *args, **kwargs: copy.deepcopy(build_event(*args, **kwargs))


@pytest.fixture
def legacy_dir() -> Path:
    return LEGACY
