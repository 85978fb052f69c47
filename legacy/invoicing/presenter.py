"""An ``Invoice`` → canonical JSON and a localized HTML document (Jinja2, autoescaped)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, PackageLoader, select_autoescape

from . import labels
from .entities import Invoice, MoneyEvent, Party

_ENV = Environment(
    loader=PackageLoader("invoicing", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _rate(rate: Decimal) -> str:
    """A rate as a plain decimal string: ``19``, ``5.5``, ``8.875``."""
    text = format(rate.normalize(), "f")
    return text


def _party(party: Party, with_email: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"name": party.name, "tax_id": party.tax_id}
    if with_email:
        result["email"] = party.email
    return result


def invoice_document(invoice: Invoice) -> dict[str, Any]:
    """The invoice as JSON-ready data: amounts and rates as strings."""
    return {
        "number": invoice.number,
        "document_type": invoice.document_type,
        "issue_date": invoice.issue_date.isoformat(),
        "seller": _party(invoice.seller, with_email=False),
        "buyer": _party(invoice.buyer, with_email=True),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "net": str(line.net),
                "tax_rate": _rate(line.tax_rate),
                "tax": str(line.tax),
                "gross": str(line.gross),
            }
            for line in invoice.lines
        ],
        "tax_summary": [
            {"label": entry.label, "rate": _rate(entry.rate), "net": str(entry.net), "tax": str(entry.tax)}
            for entry in invoice.tax_summary
        ],
        "totals": {name: str(getattr(invoice.totals, name)) for name in ("net", "tax", "gross", "tip", "payable")},
        "currency": invoice.currency,
        "locale": invoice.locale,
        "legal_notes": list(invoice.legal_notes),
    }


def canonical_json(document: Any) -> str:
    """Keys sorted, no insignificant whitespace, UTF-8 text (not \\u escapes)."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def render_html(invoice: Invoice, event: MoneyEvent) -> str:
    locale = invoice.locale
    lang = labels.language(locale)

    def money(amount: Decimal) -> str:
        return format_currency(amount, invoice.currency, locale=locale)

    def percent(rate: Decimal) -> str:
        return format_percent(rate / 100, locale=locale, decimal_quantization=False)

    def number(value) -> str:
        return format_decimal(value, locale=locale)

    template = _ENV.get_template("invoice.html")
    return template.render(
        t=labels.LABELS[lang],
        lang=locale.split("_", 1)[0],
        title=labels.text(lang, invoice.document_type),
        invoice=invoice,
        issue_date=format_date(invoice.issue_date, format="medium", locale=locale),
        trip=event.trip,
        order=event.order,
        city=event.city,
        money=money,
        percent=percent,
        number=number,
    )
