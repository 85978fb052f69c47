"""The country table of INVOICING.md: currencies, locales, zones, pricing and rounding, rates.

Rates are ``Decimal`` percentages. Everything here is data plus one function per country that
picks a line's rate; the arithmetic lives in ``service``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Callable, Optional

from .entities import MoneyEvent

D = Decimal

#: Charge kinds that are the ride itself ("ride charges" in the contract).
RIDE_CHARGES = frozenset({"base_fare", "distance", "time", "surge"})
#: Fees, taxed at the standard rate unless a country's row names them.
FEES = frozenset({"booking_fee", "delivery_fee", "service_fee", "small_order_fee", "tolls"})
#: Charge kinds each business line may carry.
CHARGE_KINDS = {
    "rides": ("base_fare", "distance", "time", "surge", "booking_fee", "tolls", "promotion", "tip"),
    "eats": ("delivery_fee", "service_fee", "small_order_fee", "promotion", "tip"),
}
ITEM_CATEGORIES = ("prepared_food", "grocery", "alcohol")
FOOD = frozenset({"prepared_food", "grocery"})

#: A line's origin, as the rate functions see it: ("charge", kind) or ("item", category).
LineSource = tuple[str, str]

US_STATE_RATES = {"NY": D("8.875"), "CA": D("8.625"), "TX": D("8.25")}


@dataclass(frozen=True)
class CountryRules:
    code: str
    currency: str
    digits: int
    locales: tuple[str, ...]  # the first is the country's own
    time_zones: tuple[str, ...]
    prices: str  # "inclusive" | "exclusive"
    rounding: str  # "line" | "rate_total"
    rounding_mode: str  # a decimal module rounding constant
    tax_label: str
    rate_for: Callable[[MoneyEvent, datetime.date, LineSource], Decimal]
    standard_rate: Callable[[MoneyEvent, datetime.date], Decimal]
    simplified_threshold: Optional[Decimal] = None  # gross at or below, no buyer tax_id
    cash_increment: Optional[Decimal] = None  # payable rounded to this (CH)

    @property
    def quantum(self) -> Decimal:
        return D(1).scaleb(-self.digits)


def _is_ride_charge(source: LineSource) -> bool:
    return source[0] == "charge" and source[1] in RIDE_CHARGES


def _is_food(source: LineSource) -> bool:
    return source[0] == "item" and source[1] in FOOD


# --- United States: no tax on rides; eats at the customer's state rate ------------------------


def _us_standard(event: MoneyEvent, day: datetime.date) -> Decimal:
    if event.business_line == "rides":
        return D(0)
    return US_STATE_RATES.get(event.customer.state or "", D(0))


def _us_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    return _us_standard(event, day)


# --- United Kingdom ----------------------------------------------------------------------------


def _gb_standard(event: MoneyEvent, day: datetime.date) -> Decimal:
    return D(20)


def _gb_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    return D(0) if source == ("item", "grocery") else D(20)


# --- Germany: the temporary cut of 2020-07-01..2020-12-31 (local date) ----------------------

DE_CUT = (datetime.date(2020, 7, 1), datetime.date(2020, 12, 31))


def _de_rates(day: datetime.date) -> tuple[Decimal, Decimal]:
    if DE_CUT[0] <= day <= DE_CUT[1]:
        return D(16), D(5)
    return D(19), D(7)


def _de_standard(event: MoneyEvent, day: datetime.date) -> Decimal:
    return _de_rates(day)[0]


def _de_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    standard, reduced = _de_rates(day)
    if _is_food(source):
        return reduced
    if _is_ride_charge(source) and event.trip is not None and event.trip.distance_km < 50:
        return reduced
    return standard


# --- France, Netherlands, Sweden, Japan -------------------------------------------------------


def _fr_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    if source == ("item", "grocery"):
        return D("5.5")
    if _is_ride_charge(source) or source == ("item", "prepared_food"):
        return D(10)
    return D(20)


def _nl_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    return D(9) if _is_ride_charge(source) or _is_food(source) else D(21)


def _se_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    if _is_food(source):
        return D(12)
    if _is_ride_charge(source):
        return D(6)
    return D(25)


def _jp_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    return D(8) if _is_food(source) else D(10)


# --- Switzerland: rates changed on 2024-01-01 (local date) ----------------------------------

CH_CHANGE = datetime.date(2024, 1, 1)


def _ch_rates(day: datetime.date) -> tuple[Decimal, Decimal]:
    return (D("7.7"), D("2.5")) if day < CH_CHANGE else (D("8.1"), D("2.6"))


def _ch_standard(event: MoneyEvent, day: datetime.date) -> Decimal:
    return _ch_rates(day)[0]


def _ch_rate(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
    standard, food = _ch_rates(day)
    return food if _is_food(source) else standard


def _flat(rate: str):
    value = D(rate)

    def standard(event: MoneyEvent, day: datetime.date) -> Decimal:
        return value

    def rate_for(event: MoneyEvent, day: datetime.date, source: LineSource) -> Decimal:
        return value

    return standard, rate_for


_in_standard, _in_rate = _flat("5")
_mx_standard, _mx_rate = _flat("16")


def _const(rate: str):
    value = D(rate)
    return lambda event, day: value


COUNTRIES: dict[str, CountryRules] = {
    rules.code: rules
    for rules in (
        CountryRules(
            "US", "USD", 2, ("en_US", "es_US"),
            ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
             "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"),
            "exclusive", "line", ROUND_HALF_UP, "Sales tax", _us_rate, _us_standard,
        ),
        CountryRules(
            "GB", "GBP", 2, ("en_GB",), ("Europe/London",),
            "inclusive", "line", ROUND_HALF_UP, "VAT", _gb_rate, _gb_standard,
            simplified_threshold=D("250.00"),
        ),
        CountryRules(
            "DE", "EUR", 2, ("de_DE", "en_DE"), ("Europe/Berlin",),
            "inclusive", "rate_total", ROUND_HALF_UP, "USt.", _de_rate, _de_standard,
            simplified_threshold=D("250.00"),
        ),
        CountryRules(
            "FR", "EUR", 2, ("fr_FR",), ("Europe/Paris",),
            "inclusive", "rate_total", ROUND_HALF_UP, "TVA", _fr_rate, _const("20"),
        ),
        CountryRules(
            "NL", "EUR", 2, ("nl_NL", "en_NL"), ("Europe/Amsterdam",),
            "inclusive", "rate_total", ROUND_HALF_EVEN, "btw", _nl_rate, _const("21"),
        ),
        CountryRules(
            "CH", "CHF", 2, ("de_CH", "fr_CH", "en_CH"), ("Europe/Zurich",),
            "inclusive", "rate_total", ROUND_HALF_UP, "MWST", _ch_rate, _ch_standard,
            cash_increment=D("0.05"),
        ),
        CountryRules(
            "SE", "SEK", 2, ("sv_SE", "en_SE"), ("Europe/Stockholm",),
            "inclusive", "rate_total", ROUND_HALF_UP, "Moms", _se_rate, _const("25"),
        ),
        CountryRules(
            "JP", "JPY", 0, ("ja_JP",), ("Asia/Tokyo",),
            "inclusive", "rate_total", ROUND_DOWN, "消費税", _jp_rate, _const("10"),
        ),
        CountryRules(
            "IN", "INR", 2, ("en_IN",), ("Asia/Kolkata",),
            "exclusive", "line", ROUND_HALF_UP, "IGST", _in_rate, _in_standard,
        ),
        CountryRules(
            "MX", "MXN", 2, ("es_MX",),
            ("America/Mexico_City", "America/Monterrey", "America/Cancun", "America/Tijuana"),
            "inclusive", "line", ROUND_HALF_UP, "IVA", _mx_rate, _mx_standard,
        ),
    )
}
