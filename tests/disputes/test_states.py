"""The state graph: every move it allows works, every other move is refused and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from gonghui.core.models import AuditEntry
from gonghui.disputes import services, states
from gonghui.disputes.models import Agreement, Case, Instalment, State
from gonghui.stats.models import Activity
from tests.disputes.conftest import open_case
from tests.factories import system_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _do(action: str, actor, case: Case):
    """Call the service behind each move of the graph."""
    room = case.room
    calls = {
        "triage": lambda: services.case_triage(actor=actor, case=case, room=room),
        "hand_on": lambda: services.case_hand_on(actor=actor, case=case, target="arbitration", reason="不属调解范围"),
        "start": lambda: services.case_start(actor=actor, case=case),
        "agree": lambda: services.agreement_record(actor=actor, case=case, amount="100.00"),
        "fail": lambda: services.case_fail(actor=actor, case=case, reason="调解不成"),
        "pay_in_full": lambda: services.payment_record(actor=actor, case=case, amount="100.00"),
        "default": lambda: services.agreement_default(actor=actor, case=case, reason="逾期未付"),
        "refer": lambda: services.case_refer(actor=actor, case=case, target="arbitration"),
        "withdraw": lambda: services.case_withdraw(actor=actor, case=case),
        "close": lambda: services.case_close(actor=actor, case=case),
        "session": lambda: services.session_record(actor=actor, case=case, held_at=timezone.now(), place="调解室",
                                                   attendees="双方"),
    }
    return calls[action]()


def case_in(state: str, tree, rooms) -> Case:
    """A case put straight into ``state`` (with a room, and an agreement of 100 yuan when it has one)."""
    case = open_case(system_user(), tree.bl, received_at=timezone.now() - dt.timedelta(days=2))
    Case.objects.filter(pk=case.pk).update(state=state, room=rooms.bl, room_path=rooms.bl.org_path)
    if state in (State.SETTLED, State.UNPAID, State.PAID):
        paid = Decimal("100.00") if state == State.PAID else Decimal("0.00")
        agreement = Agreement.objects.create(case=case, amount=Decimal("100.00"), signed_on=TODAY(), paid_amount=paid)
        Instalment.objects.create(agreement=agreement, seq=1, due_on=TODAY(), amount=Decimal("100.00"), paid_amount=paid)
    return Case.objects.select_related("room").get(pk=case.pk)


def _snapshot(case: Case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return (row, AuditEntry.objects.count(), list(Activity.objects.values_list("metric", "n", "amount").order_by("pk")),
            Agreement.objects.filter(case=case).count(), case.sessions.count())


MOVES = [(state, action) for state in State.values for action in [*states.TRANSITIONS, "session"]]


@pytest.mark.parametrize(("state", "action"), MOVES)
def test_every_move_from_every_state(tree, rooms, state, action):
    case = case_in(state, tree, rooms)
    admin = system_user()
    allowed = state in states.ACTIVITIES["session"] if action == "session" else action in states.allowed_actions(state)
    if not allowed:
        before = _snapshot(case)
        with translation.override("en"), pytest.raises(ValidationError) as info:
            _do(action, admin, case)
        with translation.override("en"):
            assert str(State(state).label) in info.value.messages[0]
        assert info.value.code == "illegal_transition"
        assert "cannot be moved on" in info.value.messages[0]
        assert _snapshot(case) == before
        assert Case.objects.get(pk=case.pk).state == state
    else:
        entries = AuditEntry.objects.count()
        _do(action, admin, case)
        stored = Case.objects.get(pk=case.pk)
        if action != "session":
            assert stored.state == states.TRANSITIONS[action][state] == case.state
        assert AuditEntry.objects.count() > entries


def test_the_graph_has_one_end_and_every_state_is_reachable():
    reachable, todo = {State.INTAKE}, [State.INTAKE]
    while todo:
        state = todo.pop()
        for moves in states.TRANSITIONS.values():
            if state in moves and moves[state] not in reachable:
                reachable.add(moves[state])
                todo.append(moves[state])
    assert reachable == set(State.values)
    assert states.allowed_actions(State.CLOSED) == ["satisfaction"]
    for state in set(State.values) - {State.CLOSED}:
        assert any(state in moves for moves in states.TRANSITIONS.values()), state


def test_an_agreement_of_nothing_is_fulfilled_at_once(tree, rooms):
    case = case_in(State.MEDIATING, tree, rooms)
    services.agreement_record(actor=system_user(), case=case, amount="0", terms="恢复劳动关系")
    assert case.state == State.PAID


def test_the_refusal_speaks_the_users_language(tree, rooms):
    case = case_in(State.CLOSED, tree, rooms)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        services.case_start(actor=system_user(), case=case)
    with translation.override("zh-hans"):
        label = str(State.CLOSED.label)
    assert label in info.value.messages[0] and "cannot" not in info.value.messages[0]
