"""Tax and totals: a validated event → an ``Invoice`` entity.

Money arithmetic is ``Decimal`` in a wide local context, rounded only where the contract says:
per line, or once per rate on the summed gross, with the country's rounding mode.
"""

from __future__ import annotations

import datetime
import decimal
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from . import labels
from .countries import COUNTRIES, CountryRules, LineSource
from .entities import Invoice, InvoiceLine, MoneyEvent, Party, TaxSummaryEntry, Totals

_WIDE = decimal.Context(prec=60)
_HUNDRED = Decimal(100)


def issue_date(event: MoneyEvent) -> datetime.date:
    """The local date of ``occurred_at`` in the event's time zone."""
    return event.occurred_at.astimezone(zoneinfo.ZoneInfo(event.time_zone)).date()


def invoice_number(country: str, business_line: str, year: int, seq: int) -> str:
    return f"{country}-{business_line.upper()}-{year:04d}-{seq:08d}"


def build_invoice(event: MoneyEvent) -> Invoice:
    rules = COUNTRIES[event.country]
    day = issue_date(event)
    sign = Decimal(-1) if event.is_refund else Decimal(1)
    lang = labels.language(event.locale)

    drafts = _draft_lines(event, rules, day, sign, lang)
    lines = _price_lines(drafts, rules, event)
    summary = _tax_summary(lines, rules, event)

    net = sum((line.net for line in lines), Decimal(0))
    tax = sum((line.tax for line in lines), Decimal(0))
    gross = net + tax
    tip = sign * sum((c.amount for c in event.charges if c.kind == "tip"), Decimal(0))
    payable = gross + tip
    if rules.cash_increment is not None:
        payable = _round_to_increment(payable, rules.cash_increment, rules.quantum)
    quantum = rules.quantum
    totals = Totals(*(_money(value, quantum) for value in (net, tax, gross, tip, payable)))

    number = invoice_number(event.country, event.business_line, day.year, event.invoice_seq)
    notes: list[str] = []
    if event.is_refund:
        document_type = "credit_note"
        original = invoice_number(event.country, event.business_line, day.year, event.refund.original_invoice_seq)
        number = "CN-" + number
        notes.append(labels.text(lang, "note_credit_for").format(number=original))
        notes.append(labels.text(lang, "note_reason").format(reason=event.refund.reason))
    else:
        document_type = _document_type(event, rules, gross)
        if document_type == "simplified_invoice":
            notes.append(labels.text(lang, f"note_simplified_{event.country}"))
    if event.country == "IN":
        notes.append(labels.text(lang, "note_place_of_supply").format(state=event.customer.state))

    return Invoice(
        number=number,
        document_type=document_type,
        issue_date=day,
        seller=Party(event.provider.legal_name, None, event.provider.tax_id),
        buyer=Party(event.customer.name, event.customer.email, event.customer.tax_id),
        lines=lines,
        tax_summary=summary,
        totals=totals,
        currency=event.currency,
        locale=event.locale,
        legal_notes=tuple(notes),
    )


def _document_type(event: MoneyEvent, rules: CountryRules, gross: Decimal) -> str:
    if event.country == "US":
        return "receipt"
    if event.country == "MX":
        return "invoice" if event.customer.tax_id else "receipt"
    if rules.simplified_threshold is not None and gross <= rules.simplified_threshold and not event.customer.tax_id:
        return "simplified_invoice"
    return "invoice"


# --- lines ------------------------------------------------------------------------------------

# A draft line before tax: (description, quantity, unit price, amount, rate). ``amount`` is what
# the customer was charged for the line: gross where prices are inclusive, net where exclusive.
Draft = tuple[str, int, Decimal, Decimal, Decimal]


def _draft_lines(event: MoneyEvent, rules: CountryRules, day: datetime.date, sign: Decimal, lang: str) -> list[Draft]:
    drafts: list[Draft] = []

    def add(description: str, quantity: int, unit_price: Decimal, source: LineSource) -> None:
        rate = rules.rate_for(event, day, source)
        drafts.append((description, quantity, sign * unit_price, sign * unit_price * quantity, rate))

    if event.order is not None:
        for item in event.order.items:
            add(item.name, item.quantity, item.unit_price, ("item", item.category))
    for charge in event.charges:
        if charge.kind not in ("tip", "promotion"):
            add(labels.text(lang, charge.kind), 1, charge.amount, ("charge", charge.kind))

    promotion = sum((c.amount for c in event.charges if c.kind == "promotion"), Decimal(0))
    if promotion != 0:
        drafts.extend(_promotion_lines(sign * promotion, drafts, rules.standard_rate(event, day), labels.text(lang, "promotion")))
    return drafts


def _promotion_lines(promotion: Decimal, drafts: list[Draft], standard: Decimal, description: str) -> list[Draft]:
    """Puts the discount on the standard rate first, then the remainder on each lower rate in turn.

    ``promotion`` has the opposite sign of the lines it discounts; the mapper has checked that it
    is no larger than their sum, so nothing is left over.
    """
    bases: dict[Decimal, Decimal] = {}
    for *_, amount, rate in drafts:
        bases[rate] = bases.get(rate, Decimal(0)) + amount
    order = [standard] + sorted((rate for rate in bases if rate != standard), reverse=True)
    remaining = -promotion  # same sign as the lines
    result: list[Draft] = []
    for rate in order:
        base = bases.get(rate, Decimal(0))
        take = min(abs(remaining), abs(base)).copy_sign(remaining) if base * remaining > 0 else Decimal(0)
        if take != 0:
            result.append((description, 1, -take, -take, rate))
            remaining -= take
        if remaining == 0:
            break
    return result


def _round(value: Decimal, rules: CountryRules) -> Decimal:
    return value.quantize(rules.quantum, rounding=rules.rounding_mode, context=_WIDE)


def _tax_from_amount(amount: Decimal, rate: Decimal, rules: CountryRules) -> Decimal:
    """The unrounded tax contained in (inclusive) or added to (exclusive) an amount."""
    if rules.prices == "inclusive":
        return _WIDE.divide(_WIDE.multiply(amount, rate), _HUNDRED + rate)
    return _WIDE.divide(_WIDE.multiply(amount, rate), _HUNDRED)


def _line_tax(amount: Decimal, rate: Decimal, rules: CountryRules, event: MoneyEvent) -> Decimal:
    if event.country == "IN" and _intra_state(event):
        half = rate / 2
        return 2 * _round(_tax_from_amount(amount, half, rules), rules)
    return _round(_tax_from_amount(amount, rate, rules), rules)


def _price_lines(drafts: list[Draft], rules: CountryRules, event: MoneyEvent) -> tuple[InvoiceLine, ...]:
    taxes = [_line_tax(amount, rate, rules, event) for *_, amount, rate in drafts]
    if rules.rounding == "rate_total":
        # One rounding per rate on the summed gross; the last line of each rate takes the
        # difference between that and its lines' own roundings, so the lines add up.
        last_of_rate: dict[Decimal, int] = {}
        gross_of_rate: dict[Decimal, Decimal] = {}
        for index, (*_, amount, rate) in enumerate(drafts):
            last_of_rate[rate] = index
            gross_of_rate[rate] = gross_of_rate.get(rate, Decimal(0)) + amount
        for rate, index in last_of_rate.items():
            total = _round(_tax_from_amount(gross_of_rate[rate], rate, rules), rules)
            others = sum((taxes[i] for i, draft in enumerate(drafts) if draft[4] == rate and i != index), Decimal(0))
            taxes[index] = total - others

    quantum = rules.quantum
    lines = []
    for (description, quantity, unit_price, amount, rate), tax in zip(drafts, taxes):
        if rules.prices == "inclusive":
            gross, net = amount, amount - tax
        else:
            net, gross = amount, amount + tax
        lines.append(InvoiceLine(
            description=description, quantity=quantity, unit_price=_money(unit_price, quantum),
            net=_money(net, quantum), tax_rate=rate, tax=_money(tax, quantum), gross=_money(gross, quantum),
        ))
    return tuple(lines)


def _intra_state(event: MoneyEvent) -> bool:
    return event.customer.state == event.provider.state


def _tax_summary(lines: tuple[InvoiceLine, ...], rules: CountryRules, event: MoneyEvent) -> tuple[TaxSummaryEntry, ...]:
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        net, tax = by_rate.get(line.tax_rate, (Decimal(0), Decimal(0)))
        by_rate[line.tax_rate] = (net + line.net, tax + line.tax)
    quantum = rules.quantum
    entries = []
    for rate in sorted(by_rate, reverse=True):
        net, tax = by_rate[rate]
        if event.country == "IN" and _intra_state(event):
            half = rate / 2
            entries.append(TaxSummaryEntry("CGST", half, _money(net, quantum), _money(tax / 2, quantum)))
            entries.append(TaxSummaryEntry("SGST", half, _money(net, quantum), _money(tax / 2, quantum)))
        else:
            entries.append(TaxSummaryEntry(rules.tax_label, rate, _money(net, quantum), _money(tax, quantum)))
    return tuple(entries)


def _round_to_increment(value: Decimal, increment: Decimal, quantum: Decimal) -> Decimal:
    steps = _WIDE.divide(value, increment).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * increment).quantize(quantum)


def _money(value: Decimal, quantum: Decimal) -> Decimal:
    """At currency precision, and never negative zero."""
    value = value.quantize(quantum, context=_WIDE)
    return value if value != 0 else abs(value)
