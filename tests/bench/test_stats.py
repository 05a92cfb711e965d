"""`gonghui bench stats` on the tiny demo: one p50 and one p95 per level of the tree, in the JSON contract."""

import json
from io import StringIO

from django.core.management import call_command

from tests.demo.conftest import demo  # noqa: F401  (fixture)


def test_bench_stats_reports_p95_ms_for_each_level(demo):
    out = StringIO()
    call_command("bench", "stats", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(line["bench"] == "stats" and {"db", "metric", "value", "level"} <= set(line) for line in lines)
    p95 = {line["level"]: line for line in lines if line["metric"] == "p95_ms"}
    p50 = {line["level"]: line["value"] for line in lines if line["metric"] == "p50_ms"}
    assert list(p95) == ["city", "district", "township", "enterprise"] and set(p50) == set(p95)
    assert all(0 < p50[level] <= p95[level]["value"] for level in p95)
    # Each level is a smaller subtree of the one above it.
    sizes = [p95[level]["subtree_members"] for level in p95]
    assert sizes == sorted(sizes, reverse=True) and 0 < sizes[-1] and sizes[0] <= p95["city"]["db_members"]
