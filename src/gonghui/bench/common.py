"""Shared pieces of `gonghui bench`: results, timing, memory."""

from __future__ import annotations

import resource
import statistics
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection


@dataclass
class Metric:
    bench: str
    metric: str
    value: float
    unit: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"bench": self.bench, "db": connection.vendor, "metric": self.metric, "value": self.value,
                "unit": self.unit, **self.extra}

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return f"{self.bench:8} {connection.vendor:10} {self.metric:20} {self.value:>14,.2f} {self.unit} {extra}".rstrip()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def percentile(samples: list[float], p: float) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(p) - 1]


def bench_actor():
    """The user the benchmarks act as: a superuser (created when the database has none)."""
    User = get_user_model()
    user = User.objects.filter(is_superuser=True, is_active=True).first()
    if user is None:
        user = User.objects.create(username="bench", is_superuser=True, is_active=True)
    return user


def vacuum(models, *, analyze_in_transaction: bool = False) -> None:
    """PostgreSQL: VACUUM (ANALYZE) the tables of ``models``, so that a run starts from the same
    state instead of stepping over an earlier run's dead rows (each run writes, then deletes or rolls
    back, up to a million rows of each; autovacuum would clean up later, in the middle of the next
    run; some servers run with it off). VACUUM cannot run inside a transaction: there, ANALYZE if
    asked, else nothing."""
    if connection.vendor != "postgresql" or (connection.in_atomic_block and not analyze_in_transaction):
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))
