"""The explicit state graph of a dispute case.

    intake ──triage──▶ triaged ──start──▶ mediating ──agree──▶ settled ──pay (last)──▶ paid ──close──▶ closed
      │  ╲               │  ╲ (re)triage      │  ╲                 │  ╲                   ▲
      │   hand_on        │   hand_on          │   fail──▶ failed   │   default──▶ unpaid ─┤ pay (last)
      ▼                  ▼                    │           │  ╲     │                │     │
    handed_on ◀──────────┘                    │        refer  close│             refer/close
      │                                       ▼           ▼        ▼                ▼
      └─close──▶ closed ◀──withdraw── (intake, triaged, mediating)   referred ──close──▶ closed

Every service that changes ``Case.state`` calls ``check(case.state, action)``: an action not
allowed from the current state raises ``ValidationError`` (nothing is written), and the new
state comes from this table, not from the caller.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _, gettext_noop as N_

from gonghui.disputes.models import State

# action → {from state: to state}
TRANSITIONS: dict[str, dict[str, str]] = {
    "triage": {State.INTAKE: State.TRIAGED, State.TRIAGED: State.TRIAGED},
    "hand_on": {State.INTAKE: State.HANDED_ON, State.TRIAGED: State.HANDED_ON},
    "start": {State.TRIAGED: State.MEDIATING},
    "agree": {State.MEDIATING: State.SETTLED},
    "fail": {State.MEDIATING: State.FAILED},
    "pay_in_full": {State.SETTLED: State.PAID, State.UNPAID: State.PAID},
    "default": {State.SETTLED: State.UNPAID},
    "refer": {State.FAILED: State.REFERRED, State.UNPAID: State.REFERRED},
    "withdraw": {State.INTAKE: State.CLOSED, State.TRIAGED: State.CLOSED, State.MEDIATING: State.CLOSED},
    "close": {State.HANDED_ON: State.CLOSED, State.PAID: State.CLOSED, State.UNPAID: State.CLOSED,
              State.FAILED: State.CLOSED, State.REFERRED: State.CLOSED},
}

# Actions that do not change the state but are only allowed in some states.
ACTIVITIES: dict[str, frozenset[str]] = {
    "assign": frozenset({State.TRIAGED, State.MEDIATING}),  # choose the mediator within the room
    "session": frozenset({State.MEDIATING}),
    "payment": frozenset({State.SETTLED, State.UNPAID}),  # a part payment; the last one is pay_in_full
    "legal_aid": frozenset({State.INTAKE, State.TRIAGED, State.MEDIATING, State.SETTLED, State.UNPAID,
                            State.FAILED}),
    "attach": frozenset(set(State) - {State.CLOSED}),
    "satisfaction": frozenset({State.PAID, State.CLOSED}),
}

# A case in these states is still with the mediation side (the 15-day deadline runs).
OPEN_FOR_MEDIATION = frozenset({State.INTAKE, State.TRIAGED, State.MEDIATING})
FINAL = frozenset({State.CLOSED})


def next_state(state: str, action: str) -> str | None:
    return TRANSITIONS.get(action, {}).get(state)


def allowed_actions(state: str) -> list[str]:
    """Transitions and activities allowed from ``state`` (what a page may offer)."""
    actions = [a for a, moves in TRANSITIONS.items() if state in moves]
    actions += [a for a, states in ACTIVITIES.items() if state in states]
    return actions


ACTION_LABELS = {
    "triage": N_("assign to a mediation room"),
    "hand_on": N_("hand on"),
    "start": N_("start mediation"),
    "agree": N_("record an agreement"),
    "fail": N_("record that mediation failed"),
    "pay_in_full": N_("record the last payment"),
    "default": N_("record that the agreement is not paid"),
    "refer": N_("refer to arbitration or court"),
    "withdraw": N_("withdraw"),
    "close": N_("close"),
    "assign": N_("assign a mediator"),
    "session": N_("record a session"),
    "payment": N_("record a payment"),
    "legal_aid": N_("ask for legal aid"),
    "attach": N_("add a document"),
    "satisfaction": N_("rate the service"),
}


def _refuse(state: str, action: str) -> ValidationError:
    label = State(state).label if state in State.values else state
    return ValidationError(
        _("A case in the state “%(state)s” cannot be moved on with “%(action)s”.")
        % {"state": label, "action": _(ACTION_LABELS.get(action, action))},
        code="illegal_transition",
    )


def check(state: str, action: str) -> str:
    """The state after ``action``; ValidationError when the graph does not allow it."""
    new = next_state(state, action)
    if new is None:
        raise _refuse(state, action)
    return new


def check_activity(state: str, action: str) -> None:
    if state not in ACTIVITIES.get(action, frozenset()):
        raise _refuse(state, action)
