"""Activity in a period: per-day rows rolled up to every ancestor, summed for any subtree."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from gonghui.stats import activity
from gonghui.stats.models import Activity, ActivityTotal
from tests.factories import UserFactory, grant


def metrics(*declared):
    return activity.metrics(*(activity.Metric(key, key, key, kind=kind) for key, kind in declared))

D = dt.date


@pytest.fixture
def source(monkeypatch):
    """A module with two metrics whose 'table' is a list of events (path, day, metric, amount)."""
    events: list[tuple[str, dt.date, str, Decimal]] = []

    def recount():
        deltas = activity.Deltas()
        for path, day, metric, amount in events:
            deltas.add(path, day, metric, amount=amount)
            deltas.add(path, day, metric, amount=amount, dim="kind", key="wages")
        return deltas

    src = activity.Source(name="test", metrics=metrics(("cases_settled", "count"), ("amount_recovered", "amount")),
                          recount=recount)
    monkeypatch.setattr(activity, "SOURCES", {"test": src})
    return events, src


def record(events, path, day, metric, amount=Decimal("0")):
    events.append((path, day, metric, amount))
    deltas = activity.Deltas()
    deltas.add(path, day, metric, amount=amount)
    deltas.add(path, day, metric, amount=amount, dim="kind", key="wages")
    activity.add(deltas)


def test_events_count_in_every_ancestor_and_only_within_the_period(tree, source):
    events, _ = source
    record(events, tree.yze.path, D(2020, 1, 1), "cases_settled")
    record(events, tree.yzt.path, D(2020, 12, 31), "cases_settled")
    record(events, tree.ble.path, D(2021, 1, 1), "cases_settled")
    record(events, tree.yze.path, D(2020, 6, 1), "amount_recovered", Decimal("1234.56"))

    assert activity.period_figures(tree.nb.path)["cases_settled"] == 3
    assert activity.period_figures(tree.yz.path, D(2020, 1, 1), D(2020, 12, 31))["cases_settled"] == 2
    assert activity.period_figures(tree.yz.path, D(2020, 1, 2), D(2020, 12, 30))["cases_settled"] == 0
    assert activity.period_figures(tree.nb.path, D(2021, 1, 1), None)["cases_settled"] == 1
    assert activity.period_figures(tree.yze.path)["amount_recovered"] == Decimal("1234.56")
    assert activity.period_figures(tree.bl.path)["amount_recovered"] == Decimal("0.00")
    assert activity.period_figures(tree.nb.path)["breakdown"]["cases_settled"]["kind"]["wages"]["n"] == 3


def totals_in_step() -> bool:
    """Whether every all-time total is the sum of its per-day rows (zero totals count as none)."""
    sums = {(p, m, d, k): (n, a) for p, m, d, k, n, a in Activity.objects.values_list("path", "metric", "dim", "key")
            .annotate(n=Sum("n"), a=Sum("amount")).order_by() if n or a}
    totals = {(p, m, d, k): (n, a) for p, m, d, k, n, a in ActivityTotal.objects.values_list(
        "path", "metric", "dim", "key", "n", "amount") if n or a}
    return sums == totals


def test_all_time_figures_are_the_sum_of_every_day(tree, source):
    events, _ = source
    record(events, tree.yze.path, D(2019, 3, 1), "cases_settled")
    record(events, tree.yze.path, D(2019, 3, 1), "amount_recovered", Decimal("10.05"))
    record(events, tree.yzt.path, D(2020, 5, 1), "amount_recovered", Decimal("0.95"))
    record(events, tree.ble.path, D(2024, 12, 31), "cases_settled")
    deltas = activity.Deltas()  # a correction: one case taken back
    deltas.add(tree.ble.path, D(2025, 1, 2), "cases_settled", n=-1)
    activity.add(deltas)

    assert totals_in_step()
    for org in (tree.nb, tree.yz, tree.yzt, tree.yze, tree.bl, tree.ble):
        everything = activity.period_figures(org.path, D(2000, 1, 1), D(2099, 12, 31))
        assert activity.period_figures(org.path) == everything
    city = activity.period_figures(tree.nb.path)
    assert city["cases_settled"] == 1 and city["amount_recovered"] == Decimal("11.00")
    assert activity.period_figures(tree.bl.path)["cases_settled"] == 0
    assert city["breakdown"]["amount_recovered"]["kind"]["wages"] == {"n": 2, "amount": Decimal("11.00")}


def test_refresh_totals_follows_deleted_days(tree, source):
    events, _ = source
    record(events, tree.yze.path, D(2020, 1, 1), "cases_settled")
    record(events, tree.yze.path, D(2021, 1, 1), "cases_settled")
    Activity.objects.filter(day=D(2020, 1, 1)).delete()  # a bulk clean-up, as the demo and benches do
    activity.refresh_totals(["cases_settled"])
    assert totals_in_step()
    assert activity.period_figures(tree.nb.path)["cases_settled"] == 1


def test_rebuild_reports_and_repairs_a_drifted_total(tree, source):
    events, src = source
    record(events, tree.yze.path, D(2020, 1, 1), "cases_settled")
    ActivityTotal.objects.filter(path=tree.yz.path, metric="cases_settled", dim="").update(n=5)
    assert activity.rebuild([src]) == 1
    assert totals_in_step()
    assert activity.period_figures(tree.yz.path)["cases_settled"] == 1


def test_rebuild_reports_and_repairs_drift(tree, source):
    events, src = source
    record(events, tree.yze.path, D(2020, 1, 1), "cases_settled")
    assert activity.rebuild([src]) == 0
    Activity.objects.filter(path=tree.nb.path, dim="").update(n=99)  # a write path forgot a delta
    assert activity.rebuild([src]) == 1
    assert activity.period_figures(tree.nb.path)["cases_settled"] == 1


def test_api_stats_print_amounts_as_decimal_strings(tree, source, client):
    from gonghui.core.services import api_token_issue

    events, _ = source
    record(events, tree.yze.path, D(2020, 6, 1), "amount_recovered", Decimal("0.10"))
    record(events, tree.yze.path, D(2020, 6, 1), "amount_recovered", Decimal("0.20"))
    user = UserFactory(username="c")
    grant(user, tree.yz)
    headers = {"Authorization": f"Bearer {api_token_issue(user=user)}"}
    body = client.get("/api/v1/orgs/YZ/stats?from=2020-01-01&to=2020-12-31", headers=headers).json()
    assert body["amount_recovered"] == "0.30"
    assert body["from"] == "2020-01-01"
    later = client.get("/api/v1/orgs/YZ/stats?from=2021-01-01", headers=headers).json()
    assert later["amount_recovered"] == "0.00"


def test_live_figures_need_a_period(tree, source, monkeypatch):
    _events, src = source
    calls = []

    def live(path, start, end):
        calls.append((path, start, end))
        return {"people": 7}

    live_source = activity.Source("live", {}, recount=activity.Deltas, live=live, live_metrics=metrics(("people", "count")))
    monkeypatch.setattr(activity, "SOURCES", {"test": src, "live": live_source})
    assert activity.period_figures(tree.nb.path)["people"] is None  # all time: not counted on the hot path
    assert activity.period_figures(tree.nb.path, D(2020, 1, 1), None)["people"] == 7
    assert calls == [(tree.nb.path, D(2020, 1, 1), None)]


def test_a_total_that_sums_to_zero_is_no_drift(tree, monkeypatch):
    """A case counted one day and taken back another: both days keep a row, the total is zero."""
    def recount():
        deltas = activity.Deltas()
        deltas.add(tree.yze.path, D(2020, 1, 1), "cases_settled")
        deltas.add(tree.yze.path, D(2020, 2, 1), "cases_settled", n=-1)
        return deltas

    src = activity.Source(name="zero", metrics=metrics(("cases_settled", "count")), recount=recount)
    monkeypatch.setattr(activity, "SOURCES", {"zero": src})
    activity.add(recount())
    assert activity.rebuild([src]) == 0
    assert totals_in_step()


def test_figures_as_of_a_day_come_from_the_modules_stock(tree, source, monkeypatch):
    _events, src = source
    asked = []

    def stock(path, day):
        asked.append((path, day))
        return {"stations_open": 3}

    stock_source = activity.Source("stock", {}, recount=activity.Deltas, stock=stock,
                                   stock_metrics=metrics(("stations_open", "count"), ("open_rate", "rate")))
    monkeypatch.setattr(activity, "SOURCES", {"test": src, "stock": stock_source})
    figures = activity.stock_figures(tree.yz.path, D(2024, 6, 1))
    assert figures == {"stations_open": 3, "open_rate": None}  # a rate the module could not give: unknown, not 0
    assert asked == [(tree.yz.path, D(2024, 6, 1))]


def test_a_metric_key_belongs_to_one_module(monkeypatch):
    monkeypatch.setattr(activity, "SOURCES", {})
    activity.register(activity.Source("one", metrics(("visits", "count")), recount=activity.Deltas))
    with pytest.raises(ValueError, match="visits"):
        activity.register(activity.Source("two", {}, recount=activity.Deltas, live_metrics=metrics(("visits", "count"))))
    with pytest.raises(ValueError, match="kind"):
        activity.Metric("money", "money", "money", kind="float")


def test_the_stats_api_describes_every_registered_metric(client):
    """A module's metric reaches the API's schema by being registered, with its description."""
    spec = client.get("/api/v1/openapi.json").json()
    properties = spec["components"]["schemas"]["StatsOut"]["properties"]
    assert activity.registered(), "the installed modules register metrics"
    for metric in activity.registered():
        assert properties[metric.key]["description"] == metric.help
    assert properties["aid_paid_amount"]["type"] == "string"  # an amount is decimal text, never a float


def test_a_rebuild_passes_over_a_module_with_stock_figures_only(tree, source):
    events, _ = source
    record(events, tree.yze.path, D(2021, 1, 1), "cases_settled")
    stock_only = activity.Source(name="stock_only", metrics={}, recount=activity.Deltas)
    assert activity.rebuild([stock_only]) == 0  # PostgreSQL refused the empty "metric IN ()"
    assert activity.period_figures(tree.nb.path)["cases_settled"] == 1
