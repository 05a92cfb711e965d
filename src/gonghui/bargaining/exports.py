"""The contract list as a workbook (导出), written by the core exporter (audited, formula-safe)."""

from __future__ import annotations

from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _, pgettext

from gonghui.bargaining.models import Contract
from gonghui.core.exports import Sheet, export
from gonghui.orgs.models import Org

EXPORT_CHUNK = 2_000


def _rows(contracts: QuerySet[Contract]):
    for c in contracts.select_related("org").iterator(chunk_size=EXPORT_CHUNK):
        yield [c.number, c.title, c.get_kind_display(), c.get_scope_display(), c.org.name, c.employer, c.signed_on,
               c.starts_on, c.ends_on, c.filed_on, c.effective_on, c.announced_on, c.terminated_on, c.workers,
               c.wage_growth_pct, c.minimum_wage]


def contract_export(*, actor, org: Org | None, contracts: QuerySet[Contract], target: IO[bytes],
                    filters: str = "") -> int:
    """Write ``contracts`` (a ``selectors.contract_list`` of this actor, as the page filtered it); audited."""
    headers = (_("Contract number"), pgettext("bargaining", "Title"), _("Contract kind"), pgettext("bargaining", "Scope"),
               _("Union"),
               _("Employer side"),
               _("Signing date"), _("Term starts"), _("Term ends"), _("Filing date"), _("In force from"),
               _("Announcement date"), _("Ended early on"), _("Workers covered"), _("Wage growth (%)"),
               _("Minimum monthly wage in the firm (yuan)"))
    return export(actor=actor, action="bargaining.export", org_path=org.path if org else "",
                  sheets=Sheet(_("Collective contracts"), headers, _rows(contracts), freeze_header=True),
                  target=target, data={"org": org.code if org else "", "filters": filters[:500]})
