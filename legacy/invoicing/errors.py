"""The one exception type callers need to know."""


class InvalidEvent(ValueError):
    """An event that breaks the contract in INVOICING.md.

    ``field`` names the offending field as a path (``customer.name``, ``charges[2].amount``,
    ``order.items[0].category``), or ``event`` when the message as a whole is unusable
    (not UTF-8, not JSON, not an object, too large). ``reason`` says what is wrong with it.
    """

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
