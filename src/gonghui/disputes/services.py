"""Writes of the mediation module: one function per use case, one transaction and one audit line each.

Every function takes keyword arguments only, checks who may act (``selectors.can_*``), locks the
case row, checks the move against the state graph (``states.check``), writes, records the audit
line and adds the statistics deltas in the same transaction. Bad input raises ValidationError
(nothing is written); acting outside one's reach raises PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, pgettext_lazy

from gonghui.core import audit, pii, uploads
from gonghui.core.ids import parse_credit_code
from gonghui.core.money import ZERO, parse_money
from gonghui.core.scope import Perm, require
from gonghui.disputes import selectors, states
from gonghui.disputes.models import (
    Agreement,
    Attachment,
    Case,
    CaseCounter,
    Channel,
    Claim,
    ClaimKind,
    Instalment,
    LegalAid,
    LegalAidState,
    MediationRoom,
    MinimumWage,
    Outcome,
    Payment,
    ReferralIn,
    ReferralResult,
    ReferralSource,
    RoomLevel,
    RoomStaff,
    Satisfaction,
    Session,
    StaffKind,
    State,
    Target,
)
from gonghui.members.models import Category, Member
from gonghui.members.services import protect_id_number, protect_phone
from gonghui.orgs.models import FEDERATION_KINDS, Org
from gonghui.stats import activity

MAX_ATTACHMENTS = 50  # documents a case holds


# ------------------------------------------------------------------------------------ helpers

def _text(value: str, field: str, *, max_length: int, required: bool = False, message: str = "") -> str:
    text = " ".join((value or "").split())  # one line: runs of spaces and line breaks become one space
    if "\x00" in text:
        raise ValidationError({field: _("The text contains a character that is not allowed.")})
    if required and not text:
        raise ValidationError({field: message or _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def _not_future(day: dt.date | None, field: str, today: dt.date) -> None:
    if day is not None and day > today:
        raise ValidationError({field: _("This date is in the future.")})


def _locked(case: Case) -> Case:
    """The case row, locked for the rest of the transaction, with its current state."""
    return Case.objects.select_for_update(of=("self",)).select_related("room", "org").get(pk=case.pk)


def _refresh(target: Case, source: Case) -> None:
    """Copy the written row's fields onto the caller's object, so it sees the new state."""
    for field in Case._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _flag(value: bool) -> str:
    return "yes" if value else "no"


def _case_deltas(case: Case, metric: str, day: dt.date, *, amount: Decimal = Decimal("0.00"),
                 dims: Iterable[tuple[str, str]] = ()) -> activity.Deltas:
    deltas = activity.Deltas()
    deltas.add(case.org_path, day, metric, amount=amount)
    for dim, key in dims:
        deltas.add(case.org_path, day, metric, amount=amount, dim=dim, key=key)
    return deltas


def case_received_deltas(case: Case) -> activity.Deltas:
    deltas = _case_deltas(case, "cases_received", case.received_on,
                          dims=[("claim", case.main_claim), ("new_form", _flag(case.is_new_form)),
                                ("channel", case.channel)])
    if case.channel in (Channel.COURT, Channel.ARBITRATION):
        deltas.update(_case_deltas(case, "cases_referred_in", case.received_on, dims=[("source", case.channel)]))
    return deltas


def case_settled_deltas(case: Case, amount: Decimal, day: dt.date) -> activity.Deltas:
    dims = [("claim", case.main_claim), ("new_form", _flag(case.is_new_form))]
    deltas = _case_deltas(case, "cases_settled", day, amount=amount, dims=dims)
    deltas.update(_case_deltas(case, "amount_recovered", day, amount=amount, dims=dims))
    return deltas


def legal_aid_deltas(case: Case, day: dt.date) -> activity.Deltas:
    return _case_deltas(case, "legal_aid_cases", day, dims=[("claim", case.main_claim),
                                                             ("new_form", _flag(case.is_new_form))])


def _audit(actor, action: str, case: Case, **data) -> None:
    audit.record(actor=actor, action=f"dispute.{action}", obj=case, org_path=case.org_path,
                 data={"number": case.number, "state": case.state, **data})


def _move(actor, case: Case, action: str, **data) -> Case:
    """Lock the case, check ``action`` against the graph and return the locked row with its new state set."""
    row = _locked(case)
    old = row.state
    row.state = states.check(old, action)
    row._audit_move = (old, row.state, data)  # written by _save_move
    return row


def _save_move(actor, row: Case, action: str, fields: Sequence[str], caller: Case) -> Case:
    old, new, data = row._audit_move
    row.save(update_fields=["state", "updated_at", *fields])
    _audit(actor, action, row, **{"from": old, **data})
    _refresh(caller, row)
    return caller


# --------------------------------------------------------------------------- case numbers

def district_prefix(org: Org) -> str:
    """The code of the district above (or at) ``org``: BL-2026-00042 for a case received in 北仑."""
    path = selectors.district_path(org.path)
    if path == org.path:
        return org.code
    return Org.objects.filter(path=path).values_list("code", flat=True).first() or org.code


def next_case_number(prefix: str, year: int) -> str:
    """Take the next number for the prefix and year (locks the counter row; call inside a transaction)."""
    CaseCounter.objects.get_or_create(prefix=prefix, year=year)
    counter = CaseCounter.objects.select_for_update().get(prefix=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return format_case_number(prefix, year, counter.last)


def format_case_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}-{year}-{serial:05d}"


# ----------------------------------------------------------------------------------- intake

@dataclass(frozen=True)
class ClaimLine:
    kind: str
    amount: Decimal | str | int
    note: str = ""


def _clean_claims(claims: Sequence[ClaimLine | tuple | dict]) -> list[ClaimLine]:
    if not claims:
        raise ValidationError({"claims": _("Enter at least one claim (what is asked for).")})
    if len(claims) > 20:
        raise ValidationError({"claims": _("At most 20 claims per case.")})
    lines = []
    for i, line in enumerate(claims):
        if isinstance(line, dict):
            line = ClaimLine(line.get("kind", ""), line.get("amount", ""), line.get("note", "") or "")
        elif isinstance(line, tuple):
            line = ClaimLine(*line)
        if line.kind not in ClaimKind.values:
            raise ValidationError({"claims": _("Claim %(n)d: choose a kind of claim from the list.") % {"n": i + 1}})
        lines.append(ClaimLine(line.kind, parse_money(line.amount, field="claims"),
                               _text(line.note, "claims", max_length=200)))
    return lines


def _main_claim(lines: list[ClaimLine]) -> str:
    """The claim a case is counted under: the largest amount (the first line on a tie)."""
    return max(enumerate(lines), key=lambda item: (item[1].amount, -item[0]))[1].kind


def case_open(*, actor, org: Org, channel: str, applicant_name: str, employer_name: str,
              claims: Sequence[ClaimLine | tuple | dict], id_number: str = "", phone: str = "",
              employer_credit_code: str = "", industry: str = "", is_new_form: bool | None = None,
              category: str = "", summary: str = "", employment_start: dt.date | None = None,
              employment_end: dt.date | None = None, knew_on: dt.date | None = None,
              received_at: dt.datetime | None = None, referral: dict | None = None,
              documents: Sequence = ()) -> Case:
    """Receive an application (一窗受理), with its documents (uploads; all checked before anything is
    written, stored in the same transaction).

    ``online``: the worker applies for themselves (``actor`` is the applicant; ``org`` is the
    union whose service centre they choose). ``window``: a cadre (MANAGE on ``org``) records an
    oral application. ``court`` / ``arbitration``: a cadre records a case entrusted by a court or
    arbitration commission; ``referral`` = {body_name, reference, deadline} (use referral_in_record).
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose how the application came in.")})
    if channel == Channel.ONLINE:
        if actor is None or not actor.is_authenticated:
            raise PermissionDenied(_("Log in to apply for mediation."))
        if org.kind not in FEDERATION_KINDS:
            raise ValidationError({"org": _("Apply at the service centre of a district or township union.")})
    else:
        require(actor, Perm.MANAGE, org.path)
    now = timezone.now()
    today = timezone.localdate()
    received_at = received_at or now
    if received_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("This date is in the future.")})
    received_on = timezone.localtime(received_at).date()
    name = _text(applicant_name, "applicant_name", max_length=50, required=True,
                 message=_("Enter the applicant's real name."))
    employer = _text(employer_name, "employer_name", max_length=200, required=True,
                     message=_("Enter the employer's name."))
    credit = ""
    if (employer_credit_code or "").strip():
        try:
            credit = parse_credit_code(employer_credit_code)
        except ValidationError as exc:
            raise ValidationError({"employer_credit_code": exc.messages}) from None
    if category and category not in Category.values:
        raise ValidationError({"category": _("Choose a group from the list.")})
    lines = _clean_claims(claims)
    _not_future(employment_start, "employment_start", today)
    _not_future(knew_on, "knew_on", today)
    if employment_start and employment_end and employment_end < employment_start:
        raise ValidationError({"employment_end": _("The employment cannot end before it started.")})
    protected_id = protected_phone = None
    member = None
    if channel == Channel.ONLINE and not (id_number or "").strip():
        own = Member.objects.filter(user=actor).first()
        if own is not None:  # a member applies as themselves: the ID number on record
            id_number = pii.decrypt(own.id_cipher, key_id=own.pii_key_id, bound_to=own.id_hash)
    if (id_number or "").strip():
        try:
            protected_id, _info = protect_id_number(id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None
        member = Member.objects.filter(id_hash=protected_id.hash).first()
    elif channel in (Channel.ONLINE, Channel.WINDOW):
        raise ValidationError({"id_number": _("Enter the applicant's ID number.")})
    if (phone or "").strip():
        try:
            protected_phone = protect_phone(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    applicant_user = None
    if channel == Channel.ONLINE:
        applicant_user = actor
        own = Member.objects.filter(user=actor).first()
        if own is not None:
            if protected_id is not None and own.id_hash != protected_id.hash:
                raise ValidationError({"id_number": _("Apply with your own ID number.")})
            member = own
    elif member is not None and member.user_id:
        applicant_user = member.user  # the worker follows the case recorded for them at the window
    if is_new_form is None:
        is_new_form = bool(member and member.is_new_form)
    if not category and member is not None:
        category = member.category
    summary = (summary or "").strip()
    if len(summary) > 5000 or "\x00" in summary:
        raise ValidationError({"summary": _("At most %(n)d characters.") % {"n": 5000}})
    checked = uploads.check_all(documents, field="file", max_files=MAX_ATTACHMENTS)
    with uploads.atomic() as files:
        case = Case(
            number=next_case_number(district_prefix(org), received_on.year),
            channel=channel, state=State.INTAKE, org=org, org_path=org.path,
            applicant_user=applicant_user, applicant_member=member, applicant_name=name,
            employer_name=employer, employer_credit_code=credit,
            industry=_text(industry, "industry", max_length=50), is_new_form=bool(is_new_form), category=category,
            summary=summary, main_claim=_main_claim(lines), amount_claimed=sum((l.amount for l in lines), ZERO),
            employment_start=employment_start, employment_end=employment_end, knew_on=knew_on,
            received_at=received_at, received_on=received_on, created_by=actor if actor.is_authenticated else None,
        )
        key_id = ""
        if protected_id is not None:
            case.id_hash, case.id_cipher, case.id_masked, key_id = protected_id
        if protected_phone is not None:
            case.phone_hash, case.phone_cipher, case.phone_masked, key_id = protected_phone
        case.pii_key_id = key_id
        case.save()
        Claim.objects.bulk_create(Claim(case=case, kind=l.kind, amount=l.amount, note=l.note) for l in lines)
        if referral is not None:
            ReferralIn.objects.create(case=case, source=channel, body_name=referral["body_name"],
                                      reference=referral["reference"], deadline=referral["deadline"])
        _audit(actor, "open", case, channel=channel, org=org.code, claimed=str(case.amount_claimed),
               claims=[l.kind for l in lines], id=case.id_masked)
        activity.add(case_received_deltas(case))
        _attach(files, actor, case, checked)
    return case


def referral_in_record(*, actor, org: Org, source: str, body_name: str, reference: str, deadline: dt.date,
                       **fields) -> Case:
    """A court (诉调对接) or arbitration commission (裁调对接) entrusts a case; a cadre of ``org`` records it."""
    if source not in ReferralSource.values:
        raise ValidationError({"source": _("Choose a court or an arbitration commission.")})
    referral = {
        "body_name": _text(body_name, "body_name", max_length=200, required=True,
                           message=_("Enter the name of the court or commission.")),
        "reference": _text(reference, "reference", max_length=64, required=True,
                           message=_("Enter their case reference.")),
        "deadline": deadline,
    }
    if deadline is None:
        raise ValidationError({"deadline": _("Enter the deadline the court or commission set.")})
    received_at = fields.get("received_at") or timezone.now()
    if deadline < timezone.localtime(received_at).date():
        raise ValidationError({"deadline": _("The deadline cannot be before the case was received.")})
    return case_open(actor=actor, org=org, channel=source, referral=referral, **fields)


# ----------------------------------------------------------------------------------- triage

def case_triage(*, actor, case: Case, room: MediationRoom, mediator=None) -> Case:
    """Route a received case to a mediation room of its district (集中分流); again to re-route."""
    if not selectors.can_manage(actor, case):
        raise PermissionDenied(_("Only the receiving union's cadres route a case."))
    if not room.is_active:
        raise ValidationError({"room": _("This mediation room is closed.")})
    if not room.org_path.startswith(selectors.district_path(case.org_path)):
        raise ValidationError({"room": _("Choose a mediation room of the district that received the case.")})
    with transaction.atomic():
        row = _move(actor, case, "triage", room=room.code)
        if mediator is not None and not RoomStaff.objects.filter(room=room, user=mediator).exists():
            raise ValidationError({"mediator": _("This person does not work in the chosen room.")})
        row.room, row.room_path, row.mediator = room, room.org_path, mediator
        return _save_move(actor, row, "triage", ["room", "room_path", "mediator"], case)


def case_hand_on(*, actor, case: Case, target: str, target_name: str = "", reason: str) -> Case:
    """Hand a case on to another body (arbitration, labour inspection, court) with a reason."""
    if not (selectors.can_manage(actor, case) or selectors.can_mediate(actor, case)):
        raise PermissionDenied(_("You cannot hand on this case."))
    if target not in Target.values:
        raise ValidationError({"target": _("Choose where the case goes.")})
    reason = _text(reason, "reason", max_length=500, required=True, message=_("Give the reason."))
    with transaction.atomic():
        row = _move(actor, case, "hand_on", target=target)
        row.target, row.target_name, row.target_reason = target, _text(target_name, "target_name", max_length=200), reason
        return _save_move(actor, row, "hand_on", ["target", "target_name", "target_reason"], case)


def case_assign(*, actor, case: Case, mediator) -> Case:
    """Choose the mediator of a case within its room."""
    if not (selectors.can_mediate(actor, case) or selectors.can_manage(actor, case)):
        raise PermissionDenied(_("You cannot assign this case."))
    with transaction.atomic():
        row = _locked(case)
        states.check_activity(row.state, "assign")
        if not RoomStaff.objects.filter(room_id=row.room_id, user=mediator, kind=StaffKind.MEDIATOR).exists():
            raise ValidationError({"mediator": _("This person is not a mediator of the case's room.")})
        row.mediator = mediator
        row.save(update_fields=["mediator", "updated_at"])
        _audit(actor, "assign", row, mediator=mediator.pk)
        _refresh(case, row)
    return case


# -------------------------------------------------------------------------------- mediation

def _require_mediator(actor, case: Case) -> None:
    if not selectors.can_mediate(actor, case):
        raise PermissionDenied(_("Only the mediators of the case's room can do this."))


def case_start(*, actor, case: Case) -> Case:
    """The room starts mediating; the acting mediator takes the case when nobody has it yet."""
    _require_mediator(actor, case)
    with transaction.atomic():
        row = _move(actor, case, "start")
        if row.mediator_id is None and StaffKind.MEDIATOR in selectors.staff_rooms(actor).get(row.room_id, ()):
            row.mediator = actor
        return _save_move(actor, row, "start", ["mediator"], case)


def session_record(*, actor, case: Case, held_at: dt.datetime, place: str, attendees: str,
                   minutes: str = "") -> Session:
    """Record a mediation session (time, place, who attended, minutes)."""
    _require_mediator(actor, case)
    if held_at is None:
        raise ValidationError({"held_at": _("Enter when the session took place.")})
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > timezone.now() + dt.timedelta(days=1):
        raise ValidationError({"held_at": _("Record a session once it has taken place.")})
    place = _text(place, "place", max_length=200, required=True, message=_("Enter where the session took place."))
    attendees = _text(attendees, "attendees", max_length=500, required=True, message=_("Enter who attended."))
    minutes = (minutes or "").strip()
    if len(minutes) > 20000 or "\x00" in minutes:
        raise ValidationError({"minutes": _("At most %(n)d characters.") % {"n": 20000}})
    with transaction.atomic():
        row = _locked(case)
        states.check_activity(row.state, "session")
        if held_at < row.received_at - dt.timedelta(days=1):
            raise ValidationError({"held_at": _("A session cannot be before the case was received.")})
        session = Session.objects.create(case=row, held_at=held_at, place=place, attendees=attendees,
                                         minutes=minutes, recorded_by=actor)
        _audit(actor, "session", row, session=session.pk)
    return session


@dataclass(frozen=True)
class InstalmentLine:
    due_on: dt.date
    amount: Decimal | str | int


def agreement_record(*, actor, case: Case, amount, signed_on: dt.date | None = None, terms: str = "",
                     instalments: Sequence[InstalmentLine | tuple | dict] = ()) -> Agreement:
    """Record the signed agreement and its payment schedule; the case is settled (counted on ``signed_on``).

    The instalments must add up to the amount (one instalment due on the signing day when none is
    given). An agreement of 0 yuan (e.g. a contract matter) is fulfilled at once.
    """
    _require_mediator(actor, case)
    amount = parse_money(amount)
    today = timezone.localdate()
    signed_on = signed_on or today
    _not_future(signed_on, "signed_on", today)
    terms = (terms or "").strip()
    if len(terms) > 20000 or "\x00" in terms:
        raise ValidationError({"terms": _("At most %(n)d characters.") % {"n": 20000}})
    lines = []
    for i, line in enumerate(instalments or ()):
        if isinstance(line, dict):
            line = InstalmentLine(line.get("due_on"), line.get("amount"))
        elif isinstance(line, tuple):
            line = InstalmentLine(*line)
        if not isinstance(line.due_on, dt.date):
            raise ValidationError({"instalments": _("Instalment %(n)d: enter the due date.") % {"n": i + 1}})
        if line.due_on < signed_on:
            raise ValidationError({"instalments": _("Instalment %(n)d is due before the agreement was signed.")
                                   % {"n": i + 1}})
        lines.append(InstalmentLine(line.due_on, parse_money(line.amount, field="instalments", positive=True)))
    if len(lines) > 60:
        raise ValidationError({"instalments": _("At most 60 instalments.")})
    if not lines and amount > 0:
        lines = [InstalmentLine(signed_on, amount)]
    if sum((l.amount for l in lines), Decimal("0.00")) != amount:
        raise ValidationError({"instalments": _("The instalments add up to %(sum)s yuan, not the agreed %(amount)s.")
                               % {"sum": sum((l.amount for l in lines), Decimal("0.00")), "amount": amount}})
    lines.sort(key=lambda l: l.due_on)
    with transaction.atomic():
        row = _move(actor, case, "agree", amount=str(amount))
        if signed_on < row.received_on:
            raise ValidationError({"signed_on": _("The agreement cannot be signed before the case was received.")})
        agreement = Agreement.objects.create(case=row, amount=amount, signed_on=signed_on, terms=terms,
                                             created_by=actor)
        Instalment.objects.bulk_create(Instalment(agreement=agreement, seq=i + 1, due_on=l.due_on, amount=l.amount)
                                       for i, l in enumerate(lines))
        row.settled_on = signed_on
        _report_back(row, ReferralResult.CONFIRMATION, signed_on)
        _save_move(actor, row, "agree", ["settled_on"], case)
        activity.add(case_settled_deltas(row, amount, signed_on))
        if amount == 0:
            row = _move(actor, case, "pay_in_full")
            agreement.paid_on = signed_on
            agreement.save(update_fields=["paid_on"])
            _save_move(actor, row, "pay_in_full", [], case)
    return agreement


def _report_back(case: Case, result: str, day: dt.date) -> None:
    """A referred-in case's result goes back: agreement → judicial confirmation asked; failure → returned."""
    ReferralIn.objects.filter(case=case, result="").update(result=result, result_on=day)


def payment_record(*, actor, case: Case, amount, paid_on: dt.date | None = None, note: str = "") -> Payment:
    """Record money the employer paid; the payment that completes the agreement makes the case paid.

    The agreement row is locked: two people recording the last payment at once cannot both count it
    (the second finds nothing outstanding and is refused).
    """
    if not selectors.can_follow_up(actor, case):
        raise PermissionDenied(_("You cannot record payments for this case."))
    amount = parse_money(amount, positive=True)
    today = timezone.localdate()
    paid_on = paid_on or today
    _not_future(paid_on, "paid_on", today)
    note = _text(note, "note", max_length=200)
    with transaction.atomic():
        row = _locked(case)
        states.check_activity(row.state, "payment")
        agreement = Agreement.objects.select_for_update().get(case=row)
        outstanding = agreement.amount - agreement.paid_amount
        if amount > outstanding:
            raise ValidationError({"amount": _("Only %(left)s yuan are still to be paid under the agreement.")
                                   % {"left": outstanding}})
        if paid_on < agreement.signed_on:
            raise ValidationError({"paid_on": _("A payment under the agreement cannot be before it was signed.")})
        payment = Payment.objects.create(agreement=agreement, amount=amount, paid_on=paid_on, note=note,
                                         recorded_by=actor)
        left = amount
        for instalment in agreement.instalments.select_for_update().order_by("seq"):
            if left <= 0:
                break
            take = min(left, instalment.amount - instalment.paid_amount)
            if take > 0:
                instalment.paid_amount += take
                if instalment.paid_amount == instalment.amount:
                    instalment.paid_on = paid_on
                instalment.save(update_fields=["paid_amount", "paid_on"])
                left -= take
        agreement.paid_amount += amount
        full = agreement.paid_amount == agreement.amount
        if full:
            agreement.paid_on = paid_on
        agreement.save(update_fields=["paid_amount", "paid_on"])
        _audit(actor, "payment", row, payment=payment.pk, amount=str(amount), paid=str(agreement.paid_amount))
        if full:
            moved = _move(actor, row, "pay_in_full")
            _save_move(actor, moved, "pay_in_full", [], row)
        _refresh(case, row)
    return payment


def agreement_default(*, actor, case: Case, reason: str) -> Case:
    """The employer does not pay as agreed: the case is marked unpaid for follow-up or referral."""
    if not selectors.can_follow_up(actor, case):
        raise PermissionDenied(_("You cannot follow up this case."))
    reason = _text(reason, "reason", max_length=500, required=True, message=_("Give the reason."))
    with transaction.atomic():
        row = _move(actor, case, "default")
        row.target_reason = reason
        return _save_move(actor, row, "default", ["target_reason"], case)


def case_fail(*, actor, case: Case, reason: str, failed_on: dt.date | None = None) -> Case:
    """Mediation failed (no agreement). A court- or arbitration-entrusted case goes back to it."""
    _require_mediator(actor, case)
    reason = _text(reason, "reason", max_length=500, required=True, message=_("Give the reason."))
    today = timezone.localdate()
    failed_on = failed_on or today
    _not_future(failed_on, "failed_on", today)
    with transaction.atomic():
        row = _move(actor, case, "fail")
        if failed_on < row.received_on:
            raise ValidationError({"failed_on": _("This date is before the case was received.")})
        row.failed_on, row.target_reason = failed_on, reason
        _report_back(row, ReferralResult.RETURNED, failed_on)
        return _save_move(actor, row, "fail", ["failed_on", "target_reason"], case)


def case_refer(*, actor, case: Case, target: str = "", target_name: str = "", reason: str = "") -> Case:
    """Refer a failed (or unpaid) case to arbitration or court; an entrusted case defaults to its source."""
    if not selectors.can_follow_up(actor, case):
        raise PermissionDenied(_("You cannot refer this case."))
    referral = ReferralIn.objects.filter(case=case).first()
    if not target and referral is not None:
        target, target_name = referral.source, target_name or referral.body_name
    if target not in (Target.ARBITRATION, Target.COURT):
        raise ValidationError({"target": _("Refer to an arbitration commission or a court.")})
    with transaction.atomic():
        row = _move(actor, case, "refer", target=target)
        row.target = target
        row.target_name = _text(target_name, "target_name", max_length=200)
        if reason:
            row.target_reason = _text(reason, "reason", max_length=500)
        return _save_move(actor, row, "refer", ["target", "target_name", "target_reason"], case)


def case_withdraw(*, actor, case: Case, reason: str = "") -> Case:
    """The applicant withdraws (or staff record it) before an agreement; the case closes."""
    if not (selectors.is_applicant(actor, case) or selectors.can_manage(actor, case)
            or selectors.can_mediate(actor, case)):
        raise PermissionDenied(_("You cannot withdraw this case."))
    with transaction.atomic():
        row = _move(actor, case, "withdraw")
        row.outcome, row.closed_at = Outcome.WITHDRAWN, timezone.now()
        if reason:
            row.target_reason = _text(reason, "reason", max_length=500)
        return _save_move(actor, row, "withdraw", ["outcome", "closed_at", "target_reason"], case)


CLOSING_OUTCOME = {State.HANDED_ON: Outcome.HANDED_ON, State.PAID: Outcome.PAID, State.UNPAID: Outcome.UNPAID,
                   State.FAILED: Outcome.FAILED, State.REFERRED: Outcome.REFERRED}


def case_close(*, actor, case: Case) -> Case:
    """Close a concluded case (the last step of the closed loop); the outcome follows from its state."""
    if not selectors.can_follow_up(actor, case):
        raise PermissionDenied(_("You cannot close this case."))
    with transaction.atomic():
        row = _move(actor, case, "close")
        row.outcome = CLOSING_OUTCOME[row._audit_move[0]]
        row.closed_at = timezone.now()
        return _save_move(actor, row, "close", ["outcome", "closed_at"], case)


# -------------------------------------------------------------------------------- legal aid

def legal_aid_request(*, actor, case: Case, request: str) -> LegalAid:
    """The worker (or staff for them) asks for legal aid on a case; a station lawyer takes it on."""
    if not (selectors.is_applicant(actor, case) or selectors.can_manage(actor, case)
            or selectors.can_mediate(actor, case)):
        raise PermissionDenied(_("You cannot ask for legal aid on this case."))
    request = _text(request, "request", max_length=500, required=True, message=_("Say what help is needed."))
    with transaction.atomic():
        row = _locked(case)
        states.check_activity(row.state, "legal_aid")
        if LegalAid.objects.filter(case=row, state__in=[LegalAidState.REQUESTED, LegalAidState.ACCEPTED]).exists():
            raise ValidationError({"request": _("Legal aid for this case is already asked for.")})
        aid = LegalAid.objects.create(case=row, request=request, requested_at=timezone.now(), requested_by=actor)
        _audit(actor, "legal_aid.request", row, aid=aid.pk)
    return aid


def _locked_aid(aid: LegalAid) -> LegalAid:
    return LegalAid.objects.select_for_update(of=("self",)).select_related("case").get(pk=aid.pk)


def legal_aid_accept(*, actor, aid: LegalAid, accepted_on: dt.date | None = None) -> LegalAid:
    """A station lawyer of the case's room takes the request on (counted as a legal-aid case that day)."""
    if not selectors.is_lawyer_for(actor, aid.case):
        raise PermissionDenied(_("Only a station lawyer of the case's room takes on legal aid."))
    today = timezone.localdate()
    accepted_on = accepted_on or today
    _not_future(accepted_on, "accepted_on", today)
    with transaction.atomic():
        row = _locked_aid(aid)
        if row.state != LegalAidState.REQUESTED:
            raise ValidationError(_("This legal-aid request is no longer waiting."), code="illegal_transition")
        row.state, row.lawyer, row.accepted_on = LegalAidState.ACCEPTED, actor, accepted_on
        row.save(update_fields=["state", "lawyer", "accepted_on"])
        _audit(actor, "legal_aid.accept", row.case, aid=row.pk)
        activity.add(legal_aid_deltas(row.case, accepted_on))
    aid.state, aid.lawyer, aid.accepted_on = row.state, row.lawyer, row.accepted_on
    return aid


def legal_aid_finish(*, actor, aid: LegalAid, note: str = "", refuse: bool = False) -> LegalAid:
    """The lawyer records the help given (done) or refuses a waiting request with a reason."""
    if not selectors.is_lawyer_for(actor, aid.case):
        raise PermissionDenied(_("Only a station lawyer of the case's room handles legal aid."))
    note = _text(note, "note", max_length=500, required=refuse, message=_("Give the reason."))
    with transaction.atomic():
        row = _locked_aid(aid)
        allowed = LegalAidState.REQUESTED if refuse else LegalAidState.ACCEPTED
        if row.state != allowed:
            raise ValidationError(_("This legal-aid request cannot be moved on from its present state."),
                                  code="illegal_transition")
        row.state = LegalAidState.REFUSED if refuse else LegalAidState.DONE
        row.note, row.done_on = note, timezone.localdate()
        if refuse:
            row.lawyer = actor
        row.save(update_fields=["state", "note", "done_on", "lawyer"])
        _audit(actor, "legal_aid.refuse" if refuse else "legal_aid.done", row.case, aid=row.pk)
    aid.state, aid.note, aid.done_on = row.state, row.note, row.done_on
    return aid


# ------------------------------------------------------------------------------ attachments

def attachments_add(*, actor, case: Case, documents: Sequence, description: str = "") -> list[Attachment]:
    """Keep documents of the case under MEDIA_ROOT (random names): photos and PDFs by content, ≤ 10 MB
    each (``core.uploads``), at most 50 a case; all or none."""
    if not (selectors.is_applicant(actor, case) or selectors.can_manage(actor, case)
            or selectors.can_follow_up(actor, case)):
        raise PermissionDenied(_("You cannot add documents to this case."))
    checked = uploads.check_all(documents, field="file", max_files=MAX_ATTACHMENTS)
    if not checked:
        raise ValidationError({"file": _("Choose a file to add.")})
    description = _text(description, "description", max_length=200)
    with uploads.atomic() as files:
        row = _locked(case)
        states.check_activity(row.state, "attach")
        return _attach(files, actor, row, checked, description=description)


def _attach(files, actor, case: Case, checked: Sequence[uploads.Document], *, description: str = "") -> list:
    if Attachment.objects.filter(case=case).count() + len(checked) > MAX_ATTACHMENTS:
        raise ValidationError({"file": _("A case holds at most %(n)d documents.") % {"n": MAX_ATTACHMENTS}})
    added = []
    for document in checked:
        attachment = Attachment(case=case, token=secrets.token_hex(16), extension=document.extension,
                                original_name=document.name, content_type=document.content_type,
                                size=document.size, sha256=document.sha256, description=description,
                                uploaded_by=actor)
        files.store(attachment.file, attachment.token, document)
        attachment.save()
        _audit(actor, "attach", case, attachment=attachment.pk, type=document.content_type, size=document.size)
        added.append(attachment)
    return added


# ------------------------------------------------------------------------------ satisfaction

def satisfaction_give(*, actor, case: Case, score: int, comment: str = "") -> Satisfaction:
    """The applicant rates the service (1–5) once the agreement is paid or the case is closed; once."""
    if not selectors.is_applicant(actor, case):
        raise PermissionDenied(_("Only the applicant rates the service."))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    comment = _text(comment, "comment", max_length=500)
    with transaction.atomic():
        row = _locked(case)
        states.check_activity(row.state, "satisfaction")
        if Satisfaction.objects.filter(case=row).exists():
            raise ValidationError({"score": _("You have already rated this case.")})
        given = Satisfaction.objects.create(case=row, score=score, comment=comment, given_at=timezone.now())
        _audit(actor, "satisfaction", row, score=score)
    return given


# ------------------------------------------------------------------------- rooms and wages

def room_create(*, actor, org: Org, code: str, name: str, level: str, address: str = "") -> MediationRoom:
    """A union opens a mediation room (cadres with MANAGE on the union)."""
    require(actor, Perm.MANAGE, org.path)
    code = _text(code, "code", max_length=32, required=True, message=_("Enter a code for the room.")).upper()
    if level not in RoomLevel.values:
        raise ValidationError({"level": _("Choose the level of the room.")})
    if MediationRoom.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Another room has this code.")})
    with transaction.atomic():
        room = MediationRoom.objects.create(
            org=org, org_path=org.path, code=code, level=level,
            name=_text(name, "name", max_length=200, required=True, message=_("Enter the room's name.")),
            address=_text(address, "address", max_length=200))
        audit.record(actor=actor, action="dispute.room.create", obj=room, org_path=org.path, data={"code": code})
    return room


def room_staff_add(*, actor, room: MediationRoom, user, kind: str) -> RoomStaff:
    require(actor, Perm.MANAGE, room.org_path)
    if kind not in StaffKind.values:
        raise ValidationError({"kind": _("Choose mediator or lawyer.")})
    with transaction.atomic():
        staff, created = RoomStaff.objects.get_or_create(room=room, user=user, kind=kind)
        if created:
            audit.record(actor=actor, action="dispute.room.staff_add", obj=room, org_path=room.org_path,
                         data={"user": user.pk, "kind": kind})
    selectors.forget_rooms(user)
    return staff


def room_staff_remove(*, actor, staff: RoomStaff) -> None:
    require(actor, Perm.MANAGE, staff.room.org_path)
    with transaction.atomic():
        audit.record(actor=actor, action="dispute.room.staff_remove", obj=staff.room, org_path=staff.room.org_path,
                     data={"user": staff.user_id, "kind": staff.kind})
        staff.delete()
    selectors.forget_rooms(staff.user)


def minimum_wage_set(*, actor, org: Org, amount, valid_from: dt.date, source: str) -> MinimumWage:
    """Record a district's monthly minimum wage from a day on (the 一裁终局 threshold follows it)."""
    require(actor, Perm.MANAGE, org.path)
    amount = parse_money(amount, positive=True)
    if valid_from is None:
        raise ValidationError({"valid_from": _("Enter the day it applies from.")})
    source = _text(source, "source", max_length=200, required=True, message=_("Name the source of the figure."))
    with transaction.atomic():
        wage, _created = MinimumWage.objects.update_or_create(
            org=org, valid_from=valid_from, defaults={"org_path": org.path, "amount": amount, "source": source})
        audit.record(actor=actor, action="dispute.minimum_wage", obj=wage, org_path=org.path,
                     data={"amount": str(amount), "valid_from": valid_from.isoformat()})
    return wage


# ------------------------------------------------------------------------------- statistics

def recount() -> activity.Deltas:
    """The module's activity recomputed from its tables (``gonghui stats rebuild``, demo loads)."""
    deltas = activity.Deltas()
    fields = ("org_path", "received_on", "main_claim", "is_new_form", "channel", "settled_on", "agreement__amount")
    for org_path, received_on, claim, new_form, channel, settled_on, amount in (
            Case.objects.values_list(*fields).iterator(chunk_size=5000)):
        case = Case(org_path=org_path, received_on=received_on, main_claim=claim, is_new_form=new_form,
                    channel=channel)
        deltas.update(case_received_deltas(case))
        if settled_on is not None:
            deltas.update(case_settled_deltas(case, amount or Decimal("0.00"), settled_on))
    for org_path, claim, new_form, accepted_on in LegalAid.objects.filter(accepted_on__isnull=False).values_list(
            "case__org_path", "case__main_claim", "case__is_new_form", "accepted_on").iterator(chunk_size=5000):
        deltas.update(legal_aid_deltas(Case(org_path=org_path, main_claim=claim, is_new_form=new_form), accepted_on))
    return deltas


_CASES = pgettext_lazy("unit", "cases")
METRICS = activity.metrics(
    activity.Metric("cases_received", gettext_lazy("Dispute cases received"),
                    "dispute cases received (intake date in the period)", unit=_CASES, icon="inbox"),
    activity.Metric("cases_settled", gettext_lazy("Dispute cases settled"), "dispute cases settled by an agreement",
                    unit=_CASES, icon="check2-circle"),
    activity.Metric("amount_recovered", gettext_lazy("Recovered for workers"), "yuan agreed to workers in settled cases",
                    kind="amount", icon="cash-coin"),
    activity.Metric("legal_aid_cases", gettext_lazy("Legal-aid cases"), "legal-aid requests taken on", unit=_CASES, icon="bank"),
    activity.Metric("cases_referred_in", gettext_lazy("Cases entrusted by courts and arbitration"),
                    "cases entrusted by courts and arbitration commissions", unit=_CASES, icon="box-arrow-in-down",
                    card=False),
)


# -------------------------------------------------------------------------------- reminders

def overdue_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Text each mediator of a room that has overdue cases (one text per mediator, with the count).

    Meant to run daily (``tasks.send_overdue_reminders``). Only mediators with a verified mobile
    are texted; the mobile is decrypted in memory for the send and never logged. Returns counts.
    """
    from django.db.models import Count
    from django.utils import translation

    from gonghui.core import sms
    from gonghui.core.models import AccountPhone

    today = today or timezone.localdate()
    late = dict(Case.objects.filter(selectors.overdue_q(today), room__isnull=False, room__is_active=True)
                .values_list("room_id").annotate(n=Count("pk")).order_by())
    per_user: dict[int, int] = {}
    for user_id, room_id in RoomStaff.objects.filter(room_id__in=list(late), kind=StaffKind.MEDIATOR,
                                                     user__is_active=True).values_list("user_id", "room_id"):
        per_user[user_id] = per_user.get(user_id, 0) + late[room_id]
    sent = 0
    sender = sms.sender()
    phones = AccountPhone.objects.filter(user_id__in=list(per_user))
    for phone in phones:
        number = pii.decrypt(phone.phone_cipher, key_id=phone.pii_key_id, bound_to=phone.phone_hash)
        with translation.override(settings.LANGUAGE_CODE):
            text = _("[Union mediation] %(n)d of your room's cases are overdue; please follow them up.") % {
                "n": per_user[phone.user_id]}
        sender.send(phone=number, text=text)
        sent += 1
    return {"rooms": len(late), "cases": sum(late.values()), "mediators": len(per_user), "texts": sent}
