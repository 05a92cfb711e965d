"""Settlement records and members for the feed and pricing tests."""

import itertools
from decimal import Decimal

from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import stay_day

_seq = itertools.count(1)


def record(id_number: str, *, sid: str | None = None, self_pay_in="12000.00", days_ago: int = 5, **fields) -> dict:
    """One settlement record as the insurer sends it (strings, as in JSON or a CSV cell)."""
    discharged = stay_day(days_ago)
    admitted = max(discharged.replace(month=1, day=1), stay_day(days_ago + 7))
    out = dict(settlement_id=sid or f"YB{next(_seq):08d}", id_number=id_number, hospital="宁波市第一医院",
               admitted_on=str(admitted), discharged_on=str(discharged), total_cost="50000.00", fund_paid="20000.00",
               self_pay_in=str(self_pay_in), self_pay_out="1000.00")
    out.update(fields)
    return out


def members_with_numbers(org, n: int):
    """n members of ``org`` and their plain ID numbers (test data only)."""
    out = []
    for _ in range(n):
        number = valid_id_number()
        out.append((make_member(org, id_number=number), number))
    return out


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


PDF = b"%PDF-1.4\n%test document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name="invoice.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def documents(*, relationship=False):
    docs = [("invoice", upload("发票.pdf")), ("itemised_bill", upload("清单.png", PNG)),
            ("discharge_summary", upload("出院小结.pdf"))]
    if relationship:
        docs.append(("relationship", upload("户口本.pdf")))
    return docs


def claim_fields(*, self_pay_in="12000.00", days_ago=5, hospital="宁波市第二医院", **extra):
    discharged = stay_day(days_ago)
    fields = dict(hospital=hospital, admitted_on=max(discharged.replace(month=1, day=1), stay_day(days_ago + 5)),
                  discharged_on=discharged, total_cost="99000.00", fund_paid="30000.00", self_pay_in=self_pay_in,
                  self_pay_out="500.00")
    fields.update(extra)
    return fields
