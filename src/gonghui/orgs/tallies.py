"""The unions of each subtree in the tallies: dimension ``orgs``, key ``""`` (all unions, the
subtree's root included) and ``"new_form"`` (new-form unions), kept by the org services."""

from __future__ import annotations

from collections import Counter

from gonghui.orgs.models import Org
from gonghui.stats.tallies import Key, Recount


def org_tally_delta(org: Org, sign: int) -> Counter[Key]:
    """The deltas of one union counted (+1) or uncounted (-1) in its own subtree and every one above."""
    delta: Counter[Key] = Counter({(org.path, "orgs", ""): sign})
    if org.is_new_form:
        delta[(org.path, "orgs", "new_form")] = sign
    return delta


def recount() -> Counter[Key]:
    counts: Counter[Key] = Counter()
    for path, is_new_form in Org.objects.values_list("path", "is_new_form").order_by():
        counts[(path, "orgs", "")] += 1
        if is_new_form:
            counts[(path, "orgs", "new_form")] += 1
    return counts


RECOUNT = Recount("orgs", ("orgs",), recount)
