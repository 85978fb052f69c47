"""``python3 -m invoicing render < event.json``: render one event by hand.

Prints ``{"invoice": {...}, "html": "..."}`` on stdout and exits 0, or prints the error on stderr
and exits 1 (2 for a usage error).
"""

from __future__ import annotations

import json
import sys

from .controller import render_event
from .errors import InvalidEvent

USAGE = """usage: python3 -m invoicing render < event.json

Renders one Money-System event (JSON, UTF-8) read from standard input and prints
{"invoice": {...}, "html": "..."} as one JSON object. An invalid event is reported on
standard error as "invalid event: FIELD: REASON" with exit status 1.
"""


def main(argv: list[str]) -> int:
    if argv[1:2] in (["-h"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv[1:] != ["render"]:
        sys.stderr.write(USAGE)
        return 2
    try:
        result = render_event(sys.stdin.buffer.read())
    except InvalidEvent as error:
        sys.stderr.write(f"invalid event: {error.field}: {error.reason}\n")
        return 1
    output = {"invoice": json.loads(result["invoice"]), "html": result["html"]}
    sys.stdout.write(json.dumps(output, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
