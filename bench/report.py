"""Benchmark reports: one JSON file and one Markdown table per benchmark in bench/reports/."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).parent / "reports"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile by nearest rank (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def write(
    name: str,
    title: str,
    results: dict[str, dict[str, Any]],
    *,
    details: dict[str, Any] | None = None,
    notes: str = "",
) -> str:
    """Write `<name>.json` and `<name>.md` (a table, then `notes`); returns the Markdown."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    machine = f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}"
    REPORTS.mkdir(exist_ok=True)
    report: dict[str, Any] = {
        "benchmark": title,
        "when": when,
        "machine": machine,
        "results": results,
    }
    if details is not None:
        report["details"] = details
    (REPORTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    columns = list(next(iter(results.values())))
    lines = [
        f"# {title}",
        "",
        f"{when} · {machine}",
        "",
        "| run | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for label, row in results.items():
        lines.append(f"| {label} | " + " | ".join(str(row[c]) for c in columns) + " |")
    if notes:
        lines += ["", notes.rstrip()]
    markdown = "\n".join(lines) + "\n"
    (REPORTS / f"{name}.md").write_text(markdown)
    return markdown
