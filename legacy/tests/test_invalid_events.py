"""Invalid events: each gives ``InvalidEvent`` naming the field, never another exception."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import build_event, charges, encode, items
from invoicing import InvalidEvent, render_event


def valid_eats() -> dict:
    event = build_event("DE", "eats", charges=charges(("delivery_fee", "2.99"), ("tip", "1.00")))
    event["order"]["items"] = items(("Pizza", 1, "9.50", "prepared_food"))
    return event


def valid_rides() -> dict:
    return build_event("IN", "rides", charges=charges(("base_fare", "50.00")))


def refund() -> dict:
    return build_event("GB", "rides", event_type="refund_issued", charges=charges(("base_fare", "5.00")),
                       refund={"original_invoice_seq": 1, "reason": "lost item"})


def rejects(data: bytes) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        render_event(data)
    return caught.value


def test_the_valid_bases_render():
    for event in (valid_eats(), valid_rides(), refund()):
        render_event(encode(event))


REQUIRED = {
    valid_eats: [
        "schema_version", "event_id", "event_type", "occurred_at", "country", "city", "time_zone", "locale",
        "business_line", "currency", "invoice_seq", "customer", "provider", "order", "charges",
        "customer.id", "customer.name", "customer.email", "provider.id", "provider.legal_name",
        "order.restaurant", "order.items", "order.items[0].name", "order.items[0].quantity",
        "order.items[0].unit_price", "order.items[0].category", "charges[0].kind", "charges[0].amount",
    ],
    valid_rides: ["trip", "trip.distance_km", "trip.duration_min", "trip.pickup", "trip.dropoff",
                  "customer.state", "provider.state"],
    refund: ["refund", "refund.original_invoice_seq", "refund.reason"],
}


def remove(event: dict, path: str) -> None:
    *parents, last = path.replace("[", ".[").split(".")
    node = event
    for part in parents:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    del node[last]


@pytest.mark.parametrize("make, path", [(make, path) for make, paths in REQUIRED.items() for path in paths])
def test_each_missing_field_is_named(make, path):
    event = make()
    remove(event, path)
    error = rejects(encode(event))
    assert error.field == path
    assert "required" in error.reason


def replace(event: dict, path: str, value) -> dict:
    event = copy.deepcopy(event)
    *parents, last = path.replace("[", ".[").split(".")
    node = event
    for part in parents:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return event


CASES = [
    # wrong types
    ("schema_version", "1", "must be an integer, got string"),
    ("schema_version", True, "must be an integer, got boolean"),
    ("schema_version", 1.0, "must be an integer, got number"),
    ("event_id", 7, "must be a string, got number"),
    ("customer", "Alex", "must be an object, got string"),
    ("customer.name", None, "must be a string, got null"),
    ("customer.name", ["Alex"], "must be a string, got array"),
    ("invoice_seq", "101", "must be an integer, got string"),
    ("charges", {"kind": "tip"}, "must be an array, got object"),
    ("charges[0]", "tip", "must be an object, got string"),
    ("charges[0].amount", 2.99, "must be a decimal string, got number"),
    ("order.items[0].quantity", 1.5, "must be an integer, got number"),
    # values
    ("schema_version", 2, "unsupported version 2 (this service reads 1)"),
    ("event_id", "not-a-uuid", "not a UUID"),
    ("event_type", "trip_cancelled", None),
    ("occurred_at", "2026-03-14 12:00:00", None),
    ("occurred_at", "2026-03-14T12:00:00+01:00", None),
    ("occurred_at", "2026-02-30T12:00:00Z", "not a valid date and time"),
    ("country", "XX", 'unknown country "XX"'),
    ("time_zone", "Europe/Paris", '"Europe/Paris" is not a time zone of DE'),
    ("locale", "fr_FR", None),
    ("business_line", "rides", "order_delivered events are eats, got rides"),
    ("currency", "CHF", '"CHF" does not match DE (EUR)'),
    ("currency", "XYZ", '"XYZ" does not match DE (EUR)'),
    ("invoice_seq", 0, None),
    ("customer.name", "", "must not be empty"),
    ("customer.name", "x" * 301, "longer than 300 characters (301)"),
    ("customer.name", "\ud800", "contains an unpaired UTF-16 surrogate"),
    ("customer.email", "alex.example.com", "not an email address"),
    ("order.items", [], None),
    ("order.items[0].category", "tobacco", None),
    ("order.items[0].unit_price", "9.505", "has 3 decimals, EUR allows 2"),
    ("order.items[0].unit_price", "-9.50", "must not be negative"),
    ("charges[0].amount", "2.999", "has 3 decimals, EUR allows 2"),
    ("charges[0].amount", "1e2", 'not a decimal number: "1e2"'),
    ("charges[0].amount", "NaN", 'not a decimal number: "NaN"'),
    ("charges[0].amount", " 2.99", None),
    ("charges[0].amount", "02.99", None),
    ("charges[0].amount", "1234567890.00", "too large: more than 9 integer digits"),
    ("charges[0].amount", "-2.99", "must not be negative"),
    ("charges[0].kind", "base_fare", None),  # a ride charge on an eats event
]


@pytest.mark.parametrize("path, value, reason", CASES)
def test_wrong_values_are_named(path, value, reason):
    error = rejects(encode(replace(valid_eats(), path, value)))
    assert error.field == path
    if reason is not None:
        assert error.reason == reason
    assert str(error) == f"{error.field}: {error.reason}"


def test_jpy_allows_no_decimals():
    event = build_event("JP", "rides", charges=charges(("base_fare", "500.0")))
    assert rejects(encode(event)).reason == "has 1 decimals, JPY allows 0"


def test_positive_promotion_and_oversized_promotion():
    event = valid_eats()
    event["charges"].append({"kind": "promotion", "amount": "1.00"})
    assert rejects(encode(event)).field == "charges[2].amount"
    event["charges"][2]["amount"] = "-20.00"
    error = rejects(encode(event))
    assert (error.field, error.reason) == ("charges", "promotion 20.00 exceeds the value it discounts (12.49)")


def test_unknown_fields_are_refused_at_every_level():
    event = valid_eats()
    event["surprise"] = 1
    assert (rejects(encode(event)).field, rejects(encode(event)).reason) == ("event", 'unknown field "surprise"')
    event = valid_eats()
    event["customer"]["nickname"] = "Al"
    assert rejects(encode(event)).field == "customer"


def test_fields_of_the_other_business_line_are_refused():
    event = valid_eats()
    event["trip"] = valid_rides()["trip"]
    assert rejects(encode(event)).field == "trip"
    event = valid_eats()
    event["refund"] = {"original_invoice_seq": 1, "reason": "x"}
    assert rejects(encode(event)).field == "refund"


@pytest.mark.parametrize("data, reason_start", [
    (b"", "empty message"),
    (b"   \n", "empty message"),
    (b"\xff\xfe{}", "not valid UTF-8 (byte 0xff at offset 0)"),
    (b'{"schema_version": 1, "city": "K\xc3\xb6ln\xc3"}', "not valid UTF-8"),
    (b"{", "not valid JSON"),
    (b"[1, 2]", "must be an object, got array"),
    (b"null", "must be an object, got null"),
    (b'{"schema_version": NaN}', "not valid JSON (NaN is not a JSON value)"),
    (b'{"schema_version": Infinity}', "not valid JSON (Infinity is not a JSON value)"),
    (b'{"schema_version": 1, "schema_version": 1}', 'duplicate key "schema_version"'),
    (b'{"schema_version": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "JSON nested too deeply"),
    (b'{"key"}', "not valid JSON"),
    (b" " * (2 * 1024 * 1024 + 1), "larger than 2097152 bytes"),
])
def test_unusable_messages_name_the_event(data, reason_start):
    error = rejects(data)
    assert error.field == "event"
    assert error.reason.startswith(reason_start)


def test_only_bytes_are_events():
    with pytest.raises(TypeError):
        render_event(json.dumps(valid_eats()))
