from django.db import models


class Tally(models.Model):
    """Current members of one union's whole subtree, counted along one dimension.

    One row per (subtree root path, dimension, key): ``("0001", "category", "courier") → 1234``.
    Reading an org's figures is one index lookup whatever the subtree's size. Member services
    keep the rows in step inside their own transactions (``gonghui.stats.tallies``);
    ``gonghui stats rebuild`` recomputes them from the member table and reports any drift.
    """

    path = models.CharField(max_length=255)
    dim = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "dim", "key"], name="tally_unique")]

    def __str__(self) -> str:
        return f"{self.path} {self.dim}:{self.key} = {self.n}"


class Activity(models.Model):
    """What a union's whole subtree did on one day, for one metric: a count and an amount.

    ``("0001", 2022-03-01, "cases_settled", "claim", "unpaid_wages") → n=3, amount=41,000.00``.
    The total of a metric has ``dim = key = ""``; breakdowns (by claim type, by product…) use
    their own ``dim``. Modules write deltas in the same transaction as the event they count
    (``gonghui.stats.activity.add``); a period's figures are one index range per subtree root,
    whatever the subtree's size. ``gonghui stats rebuild`` recomputes them from the modules' tables.
    """

    path = models.CharField(max_length=255)
    metric = models.CharField(max_length=32)
    dim = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=32, blank=True)
    day = models.DateField()
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path", "metric", "dim", "key", "day"], name="activity_unique"),
        ]
        indexes = [models.Index(fields=["path", "day"], name="activity_period_idx")]

    def __str__(self) -> str:
        return f"{self.path} {self.day} {self.metric} {self.dim}:{self.key} = {self.n} / {self.amount}"


class ActivityTotal(models.Model):
    """A metric's all-time total for one union's whole subtree: the sum of its ``Activity`` rows.

    The statistics without a period (all recorded time) read these few rows instead of summing a
    city's per-day rows (45,000 for Ningbo since 2018, more every day), so they cost the same at
    every level. ``gonghui.stats.activity.add`` keeps them in step in the same statement order and
    transaction as the per-day rows; bulk writers call ``activity.refresh_totals`` after them.
    """

    path = models.CharField(max_length=255)
    metric = models.CharField(max_length=32)
    dim = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=32, blank=True)
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path", "metric", "dim", "key"], name="activity_total_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.metric} {self.dim}:{self.key} = {self.n} / {self.amount}"


class Snapshot(models.Model):
    """The subtree tallies as they stood at the end of one day (a year-end: 上年末), kept so that a
    comparison with that day reads a few rows instead of counting the member table as of then.

    Taken from the member table as it is known when the snapshot is taken (``gonghui stats
    snapshot``, daily): a change dated before the day (a roster imported late) shows at the next
    snapshot. Without a snapshot the figures are counted live, with the same result.
    """

    day = models.DateField(unique=True)
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"tallies as of {self.day}"


class SnapshotTally(models.Model):
    """One tally of a snapshot: (snapshot, path, dim, key) → n, as ``Tally`` holds today's."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="tallies")
    path = models.CharField(max_length=255)
    dim = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    n = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "path", "dim", "key"], name="snapshot_tally_unique")]

    def __str__(self) -> str:
        return f"{self.snapshot_id} {self.path} {self.dim}:{self.key} = {self.n}"
