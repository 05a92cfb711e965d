"""`gonghui bench import` on a tiny database: the JSON contract, every load measured, nothing left behind."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from gonghui.members.models import Member, Transfer
from gonghui.stats.models import Tally
from tests.demo.conftest import demo  # noqa: F401  (fixture)


def test_bench_import_times_ours_raw_and_import_export_and_rolls_all_back(demo):
    members, tallies = Member.objects.count(), sorted(Tally.objects.values_list("path", "dim", "key", "n"))
    out = StringIO()
    call_command("bench", "import", "--rows", "400", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(line["bench"] == "import" and {"db", "metric", "value"} <= set(line) for line in lines)
    metrics = {line["metric"]: line for line in lines}
    assert set(metrics) == {"rows_per_s", "peak_rss_mb", "raw_rows_per_s", "vs_raw", "import_export_rows_per_s",
                            "vs_import_export"}
    assert metrics["rows_per_s"]["rows"] == 400 and metrics["rows_per_s"]["value"] > 0
    assert metrics["raw_rows_per_s"]["rows"] == 400 and metrics["import_export_rows_per_s"]["rows"] == 400
    ours, raw, theirs = (metrics[m]["value"] for m in ("rows_per_s", "raw_rows_per_s", "import_export_rows_per_s"))
    # The ratios are of the unrounded rates.
    assert metrics["vs_raw"]["value"] == pytest.approx(raw / ours, rel=0.02, abs=0.01)
    assert metrics["vs_import_export"]["value"] == pytest.approx(ours / theirs, rel=0.02, abs=0.1)
    # Each load was rolled back: the demo is as it was.
    assert Member.objects.count() == members and not Transfer.objects.filter(source="import").exists()
    assert sorted(Tally.objects.values_list("path", "dim", "key", "n")) == tallies
