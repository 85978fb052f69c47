"""The service's entry point: event bytes in, rendered invoice out.

``render_event`` is pure: it reads no clock, no random source and no file other than its
templates, so the same bytes always give the same result. This is what the Swift harness calls.
"""

from __future__ import annotations

from . import mapper, presenter, service


def render_event(data: bytes) -> dict[str, str]:
    """Renders one Money-System event.

    Returns ``{"invoice": <canonical JSON text>, "html": <HTML text>}``.
    Raises ``InvalidEvent`` (with ``field`` and ``reason``) for an event that breaks the contract.
    """
    event = mapper.parse_event(data)
    invoice = service.build_invoice(event)
    return {
        "invoice": presenter.canonical_json(presenter.invoice_document(invoice)),
        "html": presenter.render_html(invoice, event),
    }
