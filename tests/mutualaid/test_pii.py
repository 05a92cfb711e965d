"""No plain ID number of a member, a patient or a stranger is stored or sent to the database."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.mutualaid import feeds, services
from tests.core.test_pii import every_stored_value
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import claim_fields, documents, record


def test_the_whole_flow_keeps_id_numbers_hashed_encrypted_and_masked(tree, nb_cadre, yz_cadre, worker):
    plan = open_plan(allows_dependants=True)
    member_number, stranger, parent = valid_id_number(), valid_id_number(), valid_id_number()
    make_member(tree.yze, id_number=member_number)
    plains = [member_number, stranger, parent]
    with CaptureQueriesContext(connection) as queries:
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, mode="list", id_numbers=[member_number, stranger],
                             on=jan1())
        services.enrol_member(actor=nb_cadre, plan=plan, member=worker.member, on=jan1())
        feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
            record(member_number), record(stranger), record(stranger[:17] + "X", sid="BAD")])
        claim = services.claim_file(actor=worker, member=worker.member, documents=documents(relationship=True),
                                    relation="parent", patient_name="李父", patient_id_number=parent,
                                    **claim_fields())
        services.claim_approve(actor=yz_cadre, claim=claim)
    sent = " ".join(q["sql"] for q in queries.captured_queries)
    assert [p for p in plains if p in sent] == []
    leaks = [(table, p) for table, text in every_stored_value() for p in plains + [p[:17] for p in plains]
             if p in text]
    assert leaks == []
