"""Collective bargaining (集体协商): rounds with their dates and votes, contracts with what they cover.

A ``Round`` is one negotiation, from the written offer to the announcement; its dates are the
law's clock (``rules``). The contract it produces, or one a cadre records after the fact, is a
``Contract``; the enterprises it binds are ``Coverage`` rows (one for an enterprise's own contract,
many for a sector-wide 行业性 or area-wide 区域性 one), each with its workers. A renewal is a new
contract pointing at the one it replaces (``renews``); the old one is never edited (hitobito's
way with roles: history stays as it was). ``SkillGrade`` rows are the grades of a 能级工资 contract.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.orgs.models import Org


class ContractKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("Comprehensive collective contract")
    WAGE = "wage", _("Wage agreement")
    SKILL_WAGE = "skill_wage", _("Skill-grade wage agreement")
    WOMEN = "women", _("Women workers' special contract")


WAGE_KINDS = (ContractKind.WAGE, ContractKind.SKILL_WAGE)


class Scope(models.TextChoices):
    ENTERPRISE = "enterprise", _("One enterprise")
    INDUSTRY = "industry", _("Sector-wide")
    REGIONAL = "regional", _("Area-wide")


class Side(models.TextChoices):
    UNION = "union", pgettext_lazy("bargaining", "The union")
    EMPLOYER = "employer", _("The employer")


class VoteBody(models.TextChoices):
    CONGRESS = "congress", _("Workers' congress")
    ALL_WORKERS = "all_workers", _("All workers")


class SkillFactor(models.TextChoices):
    SKILL_LEVEL = "skill_level", _("Skill level")
    PATENTS = "patents", pgettext_lazy("bargaining", "Patents")
    EDUCATION = "education", pgettext_lazy("bargaining", "Education")
    HONOURS = "honours", pgettext_lazy("bargaining", "Honours")
    APPRENTICES = "apprentices", _("Master–apprentice results")


class RoundState(models.TextChoices):
    OPEN = "open", pgettext_lazy("bargaining", "In negotiation")
    CONCLUDED = "concluded", pgettext_lazy("bargaining", "Concluded")
    ABANDONED = "abandoned", pgettext_lazy("bargaining", "Abandoned")


def document_path(instance: Contract, filename: str) -> str:
    # A random name: the file's own name never becomes a path.
    return f"bargaining/{timezone.localdate():%Y/%m}/{instance.document_token}{instance.document_extension}"


class Round(models.Model):
    """One negotiation (协商) of the union of ``org`` with an employer, or, for a sector-wide or
    area-wide contract, with the employers' representatives."""

    org = models.ForeignKey(Org, verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)  # the union's path: the subtree filter
    title = models.CharField(pgettext_lazy("bargaining", "title"), max_length=200)
    kind = models.CharField(_("contract kind"), max_length=16, choices=ContractKind.choices)
    scope = models.CharField(pgettext_lazy("bargaining", "scope"), max_length=16, choices=Scope.choices, default=Scope.ENTERPRISE)
    employer = models.CharField(_("employer side"), max_length=200)
    workers = models.PositiveIntegerField(pgettext_lazy("bargaining", "workers"))  # the base of an all-workers vote
    renews = models.ForeignKey("Contract", verbose_name=pgettext_lazy("bargaining", "renews"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="renewal_rounds")
    state = models.CharField(_("state"), max_length=16, choices=RoundState.choices, default=RoundState.OPEN)
    offered_by = models.CharField(_("offer made by"), max_length=16, choices=Side.choices)
    offered_on = models.DateField(_("offer date"))
    replied_on = models.DateField(_("reply date"), null=True, blank=True)
    talks_on = models.DateField(_("talks date"), null=True, blank=True)
    voted_on = models.DateField(_("vote date"), null=True, blank=True)  # of the vote that passed
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    filed_on = models.DateField(_("filing date"), null=True, blank=True)
    cleared_on = models.DateField(_("bureau's confirmation"), null=True, blank=True)
    objected_on = models.DateField(_("bureau's objection"), null=True, blank=True)
    objection = models.CharField(pgettext_lazy("bargaining", "objection"), max_length=500, blank=True)
    announced_on = models.DateField(_("announcement date"), null=True, blank=True)
    contract = models.OneToOneField("Contract", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="round")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bargaining round")
        verbose_name_plural = _("bargaining rounds")
        ordering = ["-offered_on", "-id"]
        indexes = [models.Index(fields=["state", "org_path"], name="bargaining_round_open_idx")]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    """A vote on the draft by the workers' congress (its delegates) or by all workers, with its counts."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="votes")
    body = models.CharField(_("voted by"), max_length=16, choices=VoteBody.choices)
    held_on = models.DateField(_("vote date"))
    eligible = models.PositiveIntegerField(_("delegates or workers entitled to vote"))
    present = models.PositiveIntegerField(pgettext_lazy("bargaining", "present"))
    in_favour = models.PositiveIntegerField(_("in favour"))
    against = models.PositiveIntegerField(pgettext_lazy("bargaining", "against"))
    abstained = models.PositiveIntegerField(_("abstained"))
    passed = models.BooleanField(pgettext_lazy("bargaining", "passed"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote on the draft")
        verbose_name_plural = _("votes on the draft")
        ordering = ["held_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(present__lte=models.F("eligible")), name="bargaining_vote_present"),
            models.CheckConstraint(
                condition=Q(in_favour__lte=models.F("present") - models.F("against") - models.F("abstained")),
                name="bargaining_vote_ballots"),
        ]


class Contract(models.Model):
    """A collective contract: its parties, term, figures that statistics use, the signed text."""

    org = models.ForeignKey(Org, verbose_name=_("union"), on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    number = models.CharField(_("contract number"), max_length=32, unique=True)
    title = models.CharField(pgettext_lazy("bargaining", "title"), max_length=200)
    kind = models.CharField(_("contract kind"), max_length=16, choices=ContractKind.choices)
    scope = models.CharField(pgettext_lazy("bargaining", "scope"), max_length=16, choices=Scope.choices, default=Scope.ENTERPRISE)
    employer = models.CharField(_("employer side"), max_length=200)
    union_signatory = models.CharField(_("signed for the union by"), max_length=60)
    employer_signatory = models.CharField(_("signed for the employer by"), max_length=60)
    signed_on = models.DateField(_("signing date"))
    starts_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"))
    filed_on = models.DateField(_("filing date"), null=True, blank=True)
    effective_on = models.DateField(_("in force from"), null=True, blank=True)  # None: not in force (yet)
    announced_on = models.DateField(_("announcement date"), null=True, blank=True)
    terminated_on = models.DateField(_("ended early on"), null=True, blank=True)
    wage_growth_pct = models.DecimalField(_("wage growth (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    minimum_wage = models.DecimalField(_("minimum monthly wage in the firm (yuan)"), max_digits=10, decimal_places=2,
                                       null=True, blank=True)
    skill_factors = models.JSONField(_("what counts for the grade"), default=list, blank=True)
    renews = models.OneToOneField("self", verbose_name=pgettext_lazy("bargaining", "renews"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="renewed_by")
    document = models.FileField(_("signed text"), upload_to=document_path, max_length=200, blank=True)
    document_token = models.CharField(max_length=32, blank=True)
    document_extension = models.CharField(max_length=8, blank=True)
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    workers = models.PositiveIntegerField(_("workers covered"), default=0)  # the sum of the coverage rows
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collective contract")
        verbose_name_plural = _("collective contracts")
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["org_path", "effective_on", "ends_on"], name="bargaining_contract_term_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="bargaining_contract_term"),
        ]

    def __str__(self) -> str:
        return self.title


class Coverage(models.Model):
    """An enterprise (its union) bound by a contract, and how many of its workers."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="coverage")
    org = models.ForeignKey(Org, verbose_name=pgettext_lazy("bargaining", "enterprise"), on_delete=models.PROTECT,
                            related_name="+")
    org_path = models.CharField(max_length=255)
    workers = models.PositiveIntegerField(pgettext_lazy("bargaining", "workers"))
    # Copied from the contract (which never changes once in force) so that coverage on a day is one
    # range scan of this table: kind, in force from, term end, ended early.
    kind = models.CharField(max_length=16, choices=ContractKind.choices)
    effective_on = models.DateField(null=True)
    ends_on = models.DateField()
    terminated_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("enterprise covered")
        verbose_name_plural = _("enterprises covered")
        ordering = ["org_path"]
        indexes = [models.Index(fields=["org_path", "effective_on", "ends_on"], name="bargaining_coverage_idx")]
        constraints = [models.UniqueConstraint(fields=["contract", "org"], name="bargaining_coverage_once")]


class SkillGrade(models.Model):
    """A grade of a skill-grade wage (能级工资) contract and its monthly pay."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="grades")
    rank = models.PositiveSmallIntegerField(pgettext_lazy("bargaining", "rank"))
    name = models.CharField(pgettext_lazy("bargaining", "grade"), max_length=60)
    monthly_pay = models.DecimalField(_("monthly pay (yuan)"), max_digits=10, decimal_places=2)
    criteria = models.CharField(pgettext_lazy("bargaining", "criteria"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("skill grade")
        verbose_name_plural = _("skill grades")
        ordering = ["contract", "rank"]
        constraints = [models.UniqueConstraint(fields=["contract", "rank"], name="bargaining_grade_rank_once")]
