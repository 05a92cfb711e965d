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
