"""Event bytes → a validated ``MoneyEvent``, or ``InvalidEvent`` naming the field.

Checks run in a fixed order so that an event with several faults always reports the same one:
the message as a whole, then unknown fields (alphabetically first), then the fields in the
order of the contract's table, each object's fields in the order listed below.
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo
from decimal import Decimal
from typing import Any, Optional

from .countries import CHARGE_KINDS, COUNTRIES, ITEM_CATEGORIES
from .entities import Charge, Customer, MoneyEvent, Order, OrderItem, Provider, Refund, Trip
from .errors import InvalidEvent

#: Larger messages are rejected before they are parsed.
MAX_EVENT_BYTES = 2 * 1024 * 1024
#: Longest free-text field, in Unicode code points.
MAX_TEXT = 300
MAX_ITEMS = 500
MAX_CHARGES = 100
MAX_QUANTITY = 9999
MAX_DURATION_MIN = 100_000
MAX_SEQ = 2**63 - 1  # upstream sequences are BIGINT
MAX_AMOUNT_INTEGER_DIGITS = 9

EVENT_TYPES = {"trip_completed": "rides", "order_delivered": "eats", "refund_issued": None}

TOP_FIELDS = (
    "schema_version", "event_id", "event_type", "occurred_at", "country", "city", "time_zone",
    "locale", "business_line", "currency", "invoice_seq", "customer", "provider", "trip",
    "order", "charges", "refund",
)
CUSTOMER_FIELDS = ("id", "name", "email", "tax_id", "state")
PROVIDER_FIELDS = ("id", "legal_name", "tax_id", "state")
TRIP_FIELDS = ("distance_km", "duration_min", "pickup", "dropoff")
ORDER_FIELDS = ("restaurant", "items")
ITEM_FIELDS = ("name", "quantity", "unit_price", "category")
CHARGE_FIELDS = ("kind", "amount")
REFUND_FIELDS = ("original_invoice_seq", "reason")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?Z")
_DECIMAL = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?")


def parse_event(data: bytes) -> MoneyEvent:
    """Decodes and validates one event message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"an event is bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_EVENT_BYTES:
        raise InvalidEvent("event", f"larger than {MAX_EVENT_BYTES} bytes ({len(data)})")
    if not data.strip():
        raise InvalidEvent("event", "empty message")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidEvent("event", f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})")
    try:
        document = json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_no_constants)
    except InvalidEvent:
        raise
    except RecursionError:
        raise InvalidEvent("event", "JSON nested too deeply")
    except ValueError as error:  # json.JSONDecodeError, and int() refusing a 5,000-digit number
        raise InvalidEvent("event", f"not valid JSON ({error})")
    return _event(document)


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidEvent("event", f"duplicate key {json.dumps(key)}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise InvalidEvent("event", f"not valid JSON ({name} is not a JSON value)")


# --- typed readers ----------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidEvent(path or "event", f"must be an object, got {_json_type(value)}")
    unknown = sorted(key for key in value if key not in fields)
    if unknown:
        raise InvalidEvent(path or "event", f"unknown field {json.dumps(unknown[0])}")
    return value


def _present(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise InvalidEvent(_join(path, key), "is required")
    return obj[key]


def _text(obj: dict[str, Any], key: str, path: str, optional: bool = False) -> Optional[str]:
    field = _join(path, key)
    if optional and obj.get(key) is None:
        return None
    value = _present(obj, key, path)
    if not isinstance(value, str):
        raise InvalidEvent(field, f"must be a string, got {_json_type(value)}")
    if value == "":
        raise InvalidEvent(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise InvalidEvent(field, f"longer than {MAX_TEXT} characters ({len(value)})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent(field, "contains an unpaired UTF-16 surrogate")
    return value


def _integer(obj: dict[str, Any], key: str, path: str, low: int, high: int) -> int:
    field = _join(path, key)
    value = _present(obj, key, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(field, f"must be an integer, got {_json_type(value)}")
    if not low <= value <= high:
        raise InvalidEvent(field, f"must be between {low} and {high}, got {value}")
    return value


def _decimal(value: Any, field: str, max_decimals: int, what: str, integer_digits: int) -> Decimal:
    if not isinstance(value, str):
        raise InvalidEvent(field, f"must be a decimal string, got {_json_type(value)}")
    match = _DECIMAL.fullmatch(value)
    if match is None:
        raise InvalidEvent(field, f"not a decimal number: {json.dumps(value)}")
    sign, whole, fraction = match.groups()
    decimals = len(fraction or "")
    if decimals > max_decimals:
        raise InvalidEvent(field, f"has {decimals} decimals, {what} allows {max_decimals}")
    if len(whole) > integer_digits:
        raise InvalidEvent(field, f"too large: more than {integer_digits} integer digits")
    amount = Decimal(value)
    return amount if amount != 0 else Decimal(0).quantize(amount)  # no negative zero


def _amount(obj: dict[str, Any], key: str, path: str, currency: str, digits: int) -> Decimal:
    field = _join(path, key)
    return _decimal(_present(obj, key, path), field, digits, currency, MAX_AMOUNT_INTEGER_DIGITS)


def _choice(obj: dict[str, Any], key: str, path: str, choices) -> str:
    value = _present(obj, key, path)
    field = _join(path, key)
    if not isinstance(value, str):
        raise InvalidEvent(field, f"must be a string, got {_json_type(value)}")
    if value not in choices:
        raise InvalidEvent(field, f"unknown value {json.dumps(value)} (expected one of {', '.join(choices)})")
    return value


def _array(obj: dict[str, Any], key: str, path: str, high: int, low: int = 0) -> list[Any]:
    field = _join(path, key)
    value = _present(obj, key, path)
    if not isinstance(value, list):
        raise InvalidEvent(field, f"must be an array, got {_json_type(value)}")
    if not low <= len(value) <= high:
        raise InvalidEvent(field, f"must hold between {low} and {high} entries, got {len(value)}")
    return value


# --- the event --------------------------------------------------------------------------------


def _event(document: Any) -> MoneyEvent:
    event = _object(document, "", TOP_FIELDS)

    version = _present(event, "schema_version", "")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidEvent("schema_version", f"must be an integer, got {_json_type(version)}")
    if version != 1:
        raise InvalidEvent("schema_version", f"unsupported version {version} (this service reads 1)")

    event_id = _text(event, "event_id", "")
    if not _UUID.fullmatch(event_id):
        raise InvalidEvent("event_id", "not a UUID")
    event_type = _choice(event, "event_type", "", tuple(EVENT_TYPES))
    occurred_at = _timestamp(event)
    country = _text(event, "country", "")
    rules = COUNTRIES.get(country)
    if rules is None:
        raise InvalidEvent("country", f"unknown country {json.dumps(country)}")
    city = _text(event, "city", "")
    time_zone = _text(event, "time_zone", "")
    if time_zone not in rules.time_zones:
        raise InvalidEvent("time_zone", f"{json.dumps(time_zone)} is not a time zone of {country}")
    locale = _text(event, "locale", "")
    if locale not in rules.locales:
        raise InvalidEvent("locale", f"{json.dumps(locale)} is not supported for {country} ({', '.join(rules.locales)})")
    business_line = _choice(event, "business_line", "", ("rides", "eats"))
    expected_line = EVENT_TYPES[event_type]
    if expected_line is not None and business_line != expected_line:
        raise InvalidEvent("business_line", f"{event_type} events are {expected_line}, got {business_line}")
    currency = _text(event, "currency", "")
    if currency != rules.currency:
        raise InvalidEvent("currency", f"{json.dumps(currency)} does not match {country} ({rules.currency})")
    invoice_seq = _integer(event, "invoice_seq", "", 1, MAX_SEQ)
    customer = _customer(event, country)
    provider = _provider(event, country)
    trip = _trip(event, business_line)
    order = _order(event, business_line, currency, rules.digits)
    charges = _charges(event, business_line, currency, rules.digits)
    refund = _refund(event, event_type)

    promotion = -sum((c.amount for c in charges if c.kind == "promotion"), Decimal(0))
    value = sum((c.amount for c in charges if c.kind not in ("promotion", "tip")), Decimal(0))
    if order is not None:
        value += sum((item.quantity * item.unit_price for item in order.items), Decimal(0))
    if promotion > value:
        raise InvalidEvent("charges", f"promotion {promotion} exceeds the value it discounts ({value})")

    return MoneyEvent(
        event_id=event_id, event_type=event_type, occurred_at=occurred_at, country=country,
        city=city, time_zone=time_zone, locale=locale, business_line=business_line,
        currency=currency, invoice_seq=invoice_seq, customer=customer, provider=provider,
        trip=trip, order=order, charges=charges, refund=refund,
    )


def _timestamp(event: dict[str, Any]) -> datetime.datetime:
    value = _present(event, "occurred_at", "")
    if not isinstance(value, str):
        raise InvalidEvent("occurred_at", f"must be a string, got {_json_type(value)}")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise InvalidEvent("occurred_at", "not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    if not 2000 <= year <= 2099:
        raise InvalidEvent("occurred_at", f"year {year} is outside 2000..2099")
    try:
        return datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)
    except ValueError:
        raise InvalidEvent("occurred_at", "not a valid date and time")


def _state(obj: dict[str, Any], path: str, required: bool) -> Optional[str]:
    if required and obj.get("state") is None:
        raise InvalidEvent(_join(path, "state"), "is required in this country")
    return _text(obj, "state", path, optional=True)


def _customer(event: dict[str, Any], country: str) -> Customer:
    obj = _object(_present(event, "customer", ""), "customer", CUSTOMER_FIELDS)
    customer_id = _text(obj, "id", "customer")
    name = _text(obj, "name", "customer")
    email = _text(obj, "email", "customer")
    if "@" not in email:
        raise InvalidEvent("customer.email", "not an email address")
    tax_id = _text(obj, "tax_id", "customer", optional=True)
    state = _state(obj, "customer", required=country == "IN")
    return Customer(customer_id, name, email, tax_id, state)


def _provider(event: dict[str, Any], country: str) -> Provider:
    obj = _object(_present(event, "provider", ""), "provider", PROVIDER_FIELDS)
    provider_id = _text(obj, "id", "provider")
    legal_name = _text(obj, "legal_name", "provider")
    tax_id = _text(obj, "tax_id", "provider", optional=True)
    state = _state(obj, "provider", required=country == "IN")
    return Provider(provider_id, legal_name, tax_id, state)


def _trip(event: dict[str, Any], business_line: str) -> Optional[Trip]:
    if business_line != "rides":
        if "trip" in event:
            raise InvalidEvent("trip", "only rides events carry a trip")
        return None
    obj = _object(_present(event, "trip", ""), "trip", TRIP_FIELDS)
    distance = _decimal(_present(obj, "distance_km", "trip"), "trip.distance_km", 3, "a distance", 5)
    if distance < 0:
        raise InvalidEvent("trip.distance_km", "must not be negative")
    duration = _integer(obj, "duration_min", "trip", 0, MAX_DURATION_MIN)
    pickup = _text(obj, "pickup", "trip")
    dropoff = _text(obj, "dropoff", "trip")
    return Trip(distance, duration, pickup, dropoff)


def _order(event: dict[str, Any], business_line: str, currency: str, digits: int) -> Optional[Order]:
    if business_line != "eats":
        if "order" in event:
            raise InvalidEvent("order", "only eats events carry an order")
        return None
    obj = _object(_present(event, "order", ""), "order", ORDER_FIELDS)
    restaurant = _text(obj, "restaurant", "order")
    items = []
    for index, raw in enumerate(_array(obj, "items", "order", MAX_ITEMS, low=1)):
        path = f"order.items[{index}]"
        item = _object(raw, path, ITEM_FIELDS)
        name = _text(item, "name", path)
        quantity = _integer(item, "quantity", path, 1, MAX_QUANTITY)
        unit_price = _amount(item, "unit_price", path, currency, digits)
        if unit_price < 0:
            raise InvalidEvent(f"{path}.unit_price", "must not be negative")
        category = _choice(item, "category", path, ITEM_CATEGORIES)
        items.append(OrderItem(name, quantity, unit_price, category))
    return Order(restaurant, tuple(items))


def _charges(event: dict[str, Any], business_line: str, currency: str, digits: int) -> tuple[Charge, ...]:
    charges = []
    for index, raw in enumerate(_array(event, "charges", "", MAX_CHARGES)):
        path = f"charges[{index}]"
        charge = _object(raw, path, CHARGE_FIELDS)
        kind = _choice(charge, "kind", path, CHARGE_KINDS[business_line])
        amount = _amount(charge, "amount", path, currency, digits)
        if kind == "promotion" and amount > 0:
            raise InvalidEvent(f"{path}.amount", "a promotion is a discount: it must not be positive")
        if kind != "promotion" and amount < 0:
            raise InvalidEvent(f"{path}.amount", "must not be negative")
        charges.append(Charge(kind, amount))
    return tuple(charges)


def _refund(event: dict[str, Any], event_type: str) -> Optional[Refund]:
    if event_type != "refund_issued":
        if "refund" in event:
            raise InvalidEvent("refund", "only refund_issued events carry a refund")
        return None
    obj = _object(_present(event, "refund", ""), "refund", REFUND_FIELDS)
    original = _integer(obj, "original_invoice_seq", "refund", 1, MAX_SEQ)
    reason = _text(obj, "reason", "refund")
    return Refund(original, reason)
