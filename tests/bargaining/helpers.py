"""Rounds and contracts the tests build through the services."""

import datetime as dt

from gonghui.bargaining import services
from gonghui.bargaining.models import ContractKind, Side, VoteBody
from gonghui.bargaining.services import Covered, Terms

D = dt.date
TODAY = D(2026, 11, 30)


def open_round(actor, org, *, offered_on=D(2026, 4, 1), kind=ContractKind.COMPREHENSIVE, workers=200, today=TODAY,
               **kw):
    return services.round_open(actor=actor, org=org, title=f"{org.name}2026年集体合同", kind=kind,
                               employer="某科技有限公司", workers=workers, offered_by=Side.UNION,
                               offered_on=offered_on, today=today, **kw)


def terms(org, *, workers=200, starts_on=D(2026, 5, 1), ends_on=D(2029, 4, 30), **kw):
    return Terms(starts_on=starts_on, ends_on=ends_on, union_signatory="张主席", employer_signatory="王总",
                 covered=[Covered(org=org, workers=workers)], **kw)


def signed_round(actor, org, *, filed=True):
    row = open_round(actor, org)
    row = services.round_reply(actor=actor, round=row, replied_on=D(2026, 4, 10), today=TODAY)
    row = services.round_talks(actor=actor, round=row, talks_on=D(2026, 4, 20), today=TODAY)
    services.round_vote(actor=actor, round=row, body=VoteBody.CONGRESS, held_on=D(2026, 4, 24), eligible=50,
                        present=45, in_favour=40, against=3, abstained=2, today=TODAY)
    row.refresh_from_db()
    services.round_sign(actor=actor, round=row, signed_on=D(2026, 4, 27), terms=terms(org), today=TODAY)
    row.refresh_from_db()
    if filed:
        row = services.round_file(actor=actor, round=row, filed_on=D(2026, 4, 29), today=TODAY)
    return row
