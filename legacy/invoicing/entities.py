"""Entities of the invoice domain. Money is always ``Decimal``, never float."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    tax_id: Optional[str]
    state: Optional[str]


@dataclass(frozen=True)
class Provider:
    id: str
    legal_name: str
    tax_id: Optional[str]
    state: Optional[str]


@dataclass(frozen=True)
class Trip:
    distance_km: Decimal
    duration_min: int
    pickup: str
    dropoff: str


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int
    unit_price: Decimal
    category: str  # prepared_food | grocery | alcohol


@dataclass(frozen=True)
class Order:
    restaurant: str
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class Charge:
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Refund:
    original_invoice_seq: int
    reason: str


@dataclass(frozen=True)
class MoneyEvent:
    """One validated Money-System event."""

    event_id: str
    event_type: str
    occurred_at: datetime.datetime  # aware, UTC
    country: str
    city: str
    time_zone: str
    locale: str
    business_line: str  # rides | eats
    currency: str
    invoice_seq: int
    customer: Customer
    provider: Provider
    trip: Optional[Trip]
    order: Optional[Order]
    charges: tuple[Charge, ...]
    refund: Optional[Refund]

    @property
    def is_refund(self) -> bool:
        return self.event_type == "refund_issued"


@dataclass(frozen=True)
class Party:
    name: str
    email: Optional[str]
    tax_id: Optional[str]


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int
    unit_price: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class TaxSummaryEntry:
    label: str
    rate: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    tip: Decimal
    payable: Decimal


@dataclass(frozen=True)
class Invoice:
    number: str
    document_type: str  # invoice | simplified_invoice | receipt | credit_note
    issue_date: datetime.date
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    tax_summary: tuple[TaxSummaryEntry, ...]
    totals: Totals
    currency: str
    locale: str
    legal_notes: tuple[str, ...]
