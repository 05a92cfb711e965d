"""Collective bargaining's figures for any subtree (``gonghui.stats.activity``).

Stock figures as of a day (``?on=``), counted from the contracts (``figures.coverage``): contracts in
force, enterprises covered and the bargaining rate of unionised enterprises, workers covered, the
same for skill-grade wage contracts, contracts expiring within 90 days. One period figure, the
contracts signed, is counted live (``?from=&to=``). No per-day rows: nothing to recount.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy, pgettext_lazy

from gonghui.bargaining import figures
from gonghui.stats import activity
from gonghui.stats.activity import Deltas

_CONTRACTS = pgettext_lazy("unit", "contracts")
_FIRMS = pgettext_lazy("unit", "enterprises")
_PEOPLE = pgettext_lazy("unit", "people")

STOCK_METRICS = activity.metrics(
    activity.Metric("contracts_in_force", gettext_lazy("Collective contracts in force"),
                    "collective contracts of the subtree's unions in force on the day", unit=_CONTRACTS,
                    icon="file-earmark-text"),
    activity.Metric("enterprises_with_contract", gettext_lazy("Enterprises with a contract"),
                    "enterprise unions of the subtree bound by a collective contract in force on the day",
                    unit=_FIRMS, icon="buildings"),
    activity.Metric("contract_coverage_rate", gettext_lazy("Bargaining rate"),
                    "percentage of the subtree's enterprise unions bound by a contract in force on the day (建制率)",
                    kind="rate", icon="percent"),
    activity.Metric("workers_covered", gettext_lazy("Workers covered by contracts"),
                    "workers of the enterprises covered on the day, each enterprise once", unit=_PEOPLE,
                    icon="people"),
    activity.Metric("skill_wage_enterprises", gettext_lazy("Enterprises with skill-grade wages"),
                    "enterprises bound by a skill-grade wage (能级工资) contract in force on the day", unit=_FIRMS,
                    icon="ladder", card=False),
    activity.Metric("skill_wage_workers", gettext_lazy("Workers on skill-grade wages"),
                    "workers of the enterprises bound by a skill-grade wage contract in force on the day",
                    unit=_PEOPLE, icon="person-workspace", card=False),
    activity.Metric("contracts_expiring", gettext_lazy("Contracts expiring within 90 days"),
                    "contracts in force on the day whose term ends within 90 days", unit=_CONTRACTS,
                    icon="hourglass-split", card=False),
)
LIVE_METRICS = activity.metrics(
    activity.Metric("contracts_signed", gettext_lazy("Collective contracts signed"),
                    "collective contracts of the subtree's unions signed in the period (null unless from or to is given)",
                    unit=_CONTRACTS, icon="pen", card=False),
)


def stock(path: str, day: dt.date) -> dict:
    found = figures.coverage(path, day)
    return {
        "contracts_in_force": found["contracts_in_force"],
        "enterprises_with_contract": found["enterprises"],
        "contract_coverage_rate": found["rate"],
        "workers_covered": found["workers"],
        "skill_wage_enterprises": found["skill_enterprises"],
        "skill_wage_workers": found["skill_workers"],
        "contracts_expiring": found["expiring"][90],
    }


def live(path: str, start: dt.date | None, end: dt.date | None) -> dict:
    return {"contracts_signed": figures.signed_between(path, start, end)}


SOURCE = activity.Source(name="bargaining", metrics={}, recount=Deltas, live=live, live_metrics=LIVE_METRICS,
                         stock=stock, stock_metrics=STOCK_METRICS)
