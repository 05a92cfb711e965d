"""The case list as a workbook (导出): masked ID numbers and mobiles, written by the core exporter."""

from __future__ import annotations

from typing import IO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gonghui.core.exports import Sheet, export
from gonghui.disputes.models import Case
from gonghui.orgs.models import Org

EXPORT_CHUNK = 2_000


def _rows(cases: QuerySet[Case]):
    for case in cases.select_related("agreement").iterator(chunk_size=EXPORT_CHUNK):
        agreement = case.agreement if hasattr(case, "agreement") else None  # the reverse one-to-one may be missing
        yield [case.number, case.received_on, case.get_channel_display(), case.get_state_display(),
               case.applicant_name, case.id_masked, case.phone_masked, case.employer_name,
               case.employer_credit_code, case.get_main_claim_display(), case.amount_claimed,
               case.room.name if case.room_id else "", case.org.name,
               agreement.amount if agreement else None, agreement.paid_amount if agreement else None]


def case_export(*, actor, org: Org | None, cases: QuerySet[Case], target: IO[bytes], filters: str = "") -> int:
    """Write ``cases`` (a ``selectors.case_list`` of this actor, as the list page filtered it); audited.

    ``org`` is the union whose list it is (None: the actor's rooms); ``filters`` the list's query
    string, kept in the audit line. Returns the number of cases written."""
    headers = (_("Case number"), _("Received on"), _("Channel"), _("State"), _("Applicant"), _("ID number"),
               _("Mobile"), _("Employer"), _("Employer's credit code"), _("Main claim"), _("Amount claimed (yuan)"),
               _("Mediation room"), _("Receiving union"), _("Agreed amount (yuan)"), _("Paid (yuan)"))
    return export(actor=actor, action="dispute.export", org_path=org.path if org else "",
                  sheets=Sheet(_("Dispute cases"), headers, _rows(cases), freeze_header=True), target=target,
                  data={"org": org.code if org else "", "filters": filters[:500]})
