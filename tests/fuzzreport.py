"""Sum the counts ``make fuzz`` wrote (``python -m tests.fuzzreport FILE...``), as a table."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(paths: list[str]) -> None:
    totals: dict[str, Counter[str]] = {}
    for path in paths:
        for name, counts in json.loads(Path(path).read_text()).items():
            totals.setdefault(name, Counter()).update(counts)
    print("| property | inputs | read | refused with a message | tracebacks |")
    print("|---|---:|---:|---:|---:|")
    for name, counts in sorted(totals.items()):
        failed = counts["tried"] - counts["read"] - counts["refused"]
        print(f"| {name} | {counts['tried']:,} | {counts['read']:,} | {counts['refused']:,} "
              f"| {failed:,} |")  # fmt: skip
    tried = sum(c["tried"] for c in totals.values())
    failed = sum(c["tried"] - c["read"] - c["refused"] for c in totals.values())
    print(f"| all | {tried:,} | | | {failed:,} |")


if __name__ == "__main__":
    main(sys.argv[1:])
