"""``python3 -m invoicing render``, run as a person would run it, from ``legacy/``."""

from __future__ import annotations

import json
import subprocess
import sys


def run(legacy_dir, *args, stdin: bytes = b""):
    return subprocess.run([sys.executable, "-m", "invoicing", *args], input=stdin, cwd=legacy_dir,
                          capture_output=True, timeout=60)


def test_render_prints_one_json_object(legacy_dir):
    sample = (legacy_dir / "samples" / "de-eats.json").read_bytes()
    result = run(legacy_dir, "render", stdin=sample)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert set(output) == {"invoice", "html"}
    # 7 %: 27.39 × 7/107 = 1.79; 19 %: 4.49 × 19/119 = 0.72 (the sample's arithmetic)
    assert output["invoice"]["totals"] == {"net": "29.37", "tax": "2.51", "gross": "31.88", "tip": "3.00",
                                           "payable": "34.88"}
    assert "Vereinfachte Rechnung" in output["html"]


def test_invalid_event_goes_to_stderr_with_a_non_zero_exit(legacy_dir):
    result = run(legacy_dir, "render", stdin=b'{"schema_version": 2}')
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode() == "invalid event: schema_version: unsupported version 2 (this service reads 1)\n"


def test_usage(legacy_dir):
    assert run(legacy_dir).returncode == 2
    help_result = run(legacy_dir, "--help")
    assert help_result.returncode == 0 and b"render < event.json" in help_result.stdout
