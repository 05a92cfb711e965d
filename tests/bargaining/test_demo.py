"""The demo's contracts and rounds: the seeds' figures times the scale, every step of a round this
month with some overdue, coverage figures equal to a direct count, and a clean removal."""

from decimal import Decimal

from django.utils import timezone

from gonghui.bargaining import figures, selectors
from gonghui.bargaining.demo import SKILL, remove
from gonghui.bargaining.models import Contract, ContractKind, Coverage, Round, Scope, SkillGrade, Vote
from gonghui.bargaining.rules import Step
from gonghui.demo.calibration import scaled
from gonghui.orgs.models import Org
from tests.demo.conftest import TEST_SCALE, demo  # noqa: F401  (fixture)


def test_the_demo_holds_the_seeds_figures_and_every_step(demo):
    today = timezone.localdate()
    fh = Org.objects.get(code="FH")
    got = figures.coverage(fh.path, today)
    assert got["unionised"] and got["rate"] > Decimal("90")
    for code, (firms, workers) in SKILL.items():
        district = Org.objects.get(code=code)
        found = figures.coverage(district.path, today)
        expected_workers = scaled(workers, TEST_SCALE)
        if expected_workers:
            assert found["skill_workers"] == expected_workers
            assert found["skill_enterprises"] == max(1, scaled(firms, TEST_SCALE))
    assert Contract.objects.filter(scope=Scope.INDUSTRY, org__code="YZ").exists()
    assert Contract.objects.filter(renews__isnull=False).exists()
    assert SkillGrade.objects.exists() and Vote.objects.exists()
    nb = Org.objects.get(code="NB")
    standings = [selectors.standing(r, today) for r in Round.objects.select_related("contract")]
    steps = {s.waiting.step for s in standings if s.waiting}
    assert steps >= {Step.REPLY, Step.TALKS, Step.VOTE, Step.SIGN, Step.FILE, Step.REVIEW, Step.ANNOUNCE}
    assert {s.waiting.step for s in standings if s.overdue} == {Step.REPLY, Step.TALKS, Step.FILE, Step.ANNOUNCE}
    assert figures.coverage(nb.path, today)["expiring"][90] > 0


def test_coverage_equals_a_direct_count_on_the_demo(demo):
    today = timezone.localdate()
    nb = Org.objects.get(code="NB")
    per_org: dict[int, int] = {}
    for row in Coverage.objects.select_related("contract"):
        c = row.contract
        if c.effective_on and c.effective_on <= today and c.starts_on <= today <= c.ends_on:
            per_org[row.org_id] = max(per_org.get(row.org_id, 0), row.workers)
    got = figures.coverage(nb.path, today)
    assert (got["enterprises"], got["workers"]) == (len(per_org), sum(per_org.values()))
    by_kind = {k: sum(1 for c in Contract.objects.all() if c.kind == k and figures.contract_binds(c, today))
               for k in ContractKind.values}
    assert got["by_kind"] == by_kind


def test_remove_takes_everything_away(demo):
    remove(Org.objects.get(code="NB"))
    assert not Contract.objects.exists() and not Round.objects.exists() and not Coverage.objects.exists()
