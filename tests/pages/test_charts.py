"""The one chart spec and KPI change of every module's home (``gonghui.workbench.charts``): exact totals
and shares, money in 万元 rounded once half up, and a change shown as the figures give it."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder

from gonghui.core.templatetags.gonghui import signed_pct
from gonghui.workbench.charts import change, chart_spec, wan


def test_a_count_chart_has_its_id_total_and_shares():
    spec = chart_spec("aid-enrol-year", "bar", "参保人次", [("2024", 1), ("2025", 2), ("2026", 0)], unit="人次",
                      series="参保")
    assert spec["id"] == "chart-aid-enrol-year"
    assert (spec["labels"], spec["values"], spec["total"]) == (["2024", "2025", "2026"], [1, 2, 0], 3)
    assert [share for _label, _value, share in spec["rows"]] == [Decimal("33.3"), Decimal("66.7"), Decimal("0.0")]
    # ECharts reads counts as JSON numbers; the table's share keeps its one decimal.
    sent = json.loads(json.dumps(spec, cls=DjangoJSONEncoder))
    assert sent["values"] == [1, 2, 0] and sent["total"] == 3 and sent["rows"][0] == ["2024", 1, "33.3"]


def test_an_amount_chart_adds_up_to_the_fen():
    rows = [("A", Decimal("0.10")), ("B", Decimal("0.20")), ("C", Decimal("0.00"))]
    spec = chart_spec("recovered", "bar", "追回金额", rows, unit="万元", series="追回")
    assert spec["total"] == Decimal("0.30")  # in floats 0.1 + 0.2 is 0.30000000000000004
    assert [share for _label, _value, share in spec["rows"]] == [Decimal("33.3"), Decimal("66.7"), Decimal("0.0")]
    sent = json.loads(json.dumps(spec, cls=DjangoJSONEncoder))
    assert sent["values"] == ["0.10", "0.20", "0.00"] and sent["total"] == "0.30"


def test_an_empty_chart_has_no_total_and_no_shares():
    spec = chart_spec("sex", "pie", "性别", [("男", 0), ("女", 0)], unit="人", series="会员")
    assert spec["total"] == 0 and [row[2] for row in spec["rows"]] == [0, 0]


def test_wan_rounds_half_up_once():
    assert wan(Decimal("1234567.89")) == Decimal("123.46")
    assert wan(Decimal("50.00")) == Decimal("0.01")  # 0.005 万元: half up, not to even
    assert wan(None) == wan(0) == Decimal("0.00")


def test_a_change_is_rounded_only_where_it_is_shown():
    assert change(1790, 1754) == (Decimal(1790) - 1754) / Decimal(1754)
    assert signed_pct(change(1790, 1754)) == "+2.1%"  # 2.0525 %: rounding first to 0.0205 would show +2.0 %
    assert signed_pct(change(Decimal("90.00"), Decimal("100.00"))) == "-10.0%"
    assert change(5, 0) is None and change(5, None) is None
