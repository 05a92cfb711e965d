"""Turn figures into what the pages show: chart specs and the small helpers of every module's home.

A chart spec is plain JSON (it travels to the browser through ``json_script``) and carries its
own title, unit and rows, so the same dict draws the ECharts chart and the table beneath it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from gonghui.core.money import to_fen

WAN = Decimal(10000)
TENTH = Decimal("0.1")


def wan(amount) -> Decimal:
    """Yuan in 万元 (ten-thousand yuan) to two places, half up: 1,234,567.89 → 123.46."""
    return to_fen(Decimal(amount or 0) / WAN)


def change(now, before) -> Decimal | None:
    """``now`` against ``before`` as a fraction (0.0123 is +1.23 %); None when there is nothing to
    compare with (no figure before, or zero). Not rounded here: ``signed_pct`` rounds once, for
    display (rounding twice would show 2.05245 % as 2.0 %)."""
    if not before:
        return None
    return (Decimal(now) - Decimal(before)) / Decimal(before)


def chart_spec(key: str, kind: str, title: str, rows: Sequence[tuple[str, int | Decimal]], *, unit: str,
               series: str) -> dict:
    """One chart and its table: ``rows`` are (label, value), counts as int, amounts as Decimal.

    The element id is ``chart-<key>`` (a module prefixes its keys: ``aid-enrol-year``). Values go
    to ECharts as given (a Decimal travels as a string, which ECharts reads as a number); the
    total is exact (an int for counts) and each row's share of it is in per cent to one place.
    """
    total = sum(value for _label, value in rows)
    return {
        "id": f"chart-{key}",
        "kind": kind,
        "title": title,
        "unit": unit,
        "series": series,
        "labels": [label for label, _value in rows],
        "values": [value for _label, value in rows],
        "total": total,
        "rows": [[label, value, (Decimal(value) * 100 / Decimal(total)).quantize(TENTH) if total else 0]
                 for label, value in rows],
    }
