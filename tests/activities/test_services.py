"""The rules of registering, waiting, drawing, allocating and checking in, on the real database."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gonghui.activities import codes, rules, selectors, services
from gonghui.activities.models import Activity, Attendance, Mode, Registration, RegStatus
from gonghui.core import audit
from gonghui.members.models import Category
from gonghui.stats import activity as ledger
from tests.activities.conftest import make_activity, member_with_login, soon
from tests.factories import make_member


def code_of(exc) -> str:
    return services.reason_of(exc.value)


# --- first come -------------------------------------------------------------------------------


def test_first_come_gives_places_until_full_then_refuses(tree):
    activity = make_activity(tree.yz, capacity=2)
    members = [member_with_login(tree.yze) for _ in range(3)]
    for m in members[:2]:
        assert services.register(actor=m.user, activity=activity, member=m).status == RegStatus.CONFIRMED
    with pytest.raises(ValidationError) as exc:
        services.register(actor=members[2].user, activity=activity, member=members[2])
    assert code_of(exc) == "full"
    activity.refresh_from_db()
    assert activity.taken == 2
    assert Registration.objects.filter(activity=activity).count() == 2


def test_it_refuses_a_second_registration_of_the_same_member(tree, yz_member):
    activity = make_activity(tree.yz, capacity=5)
    services.register(actor=yz_member.user, activity=activity, member=yz_member)
    with pytest.raises(ValidationError) as exc:
        services.register(actor=yz_member.user, activity=activity, member=yz_member)
    assert code_of(exc) == "duplicate"
    activity.refresh_from_db()
    assert activity.taken == 1


def test_a_member_cannot_register_someone_else(tree, yz_member):
    other = member_with_login(tree.yze)
    activity = make_activity(tree.yz, capacity=5)
    with pytest.raises(PermissionDenied):
        services.register(actor=other.user, activity=activity, member=yz_member)


def test_audience_outside_the_subtree_is_refused(tree):
    activity = make_activity(tree.yz, capacity=5)
    outsider = member_with_login(tree.ble)
    with pytest.raises(ValidationError) as exc:
        services.register(actor=outsider.user, activity=activity, member=outsider)
    assert code_of(exc) == "outside_subtree"
    assert not Registration.objects.exists()


def test_audience_narrowed_to_groups_and_new_form(tree):
    activity = make_activity(tree.yz, capacity=5, audience_categories=[Category.COURIER], audience_new_form=True)
    courier = member_with_login(tree.yze, category=Category.COURIER, is_new_form=True)
    guard = member_with_login(tree.yze, category=Category.SECURITY_GUARD, is_new_form=True)
    services.register(actor=courier.user, activity=activity, member=courier)
    with pytest.raises(ValidationError) as exc:
        services.register(actor=guard.user, activity=activity, member=guard)
    assert code_of(exc) == "outside_groups"


def test_standing_eligibility_opens_an_audience(tree, yz_cadre):
    activity = make_activity(tree.yz, capacity=5, audience_eligibility="model_worker")
    worker = member_with_login(tree.yze)
    with pytest.raises(ValidationError):
        services.register(actor=worker.user, activity=activity, member=worker)
    services.eligibility_set(actor=yz_cadre, member=worker, kind="model_worker")
    assert services.register(actor=worker.user, activity=activity, member=worker).status == RegStatus.CONFIRMED


def test_registration_window_is_kept(tree, yz_member):
    activity = make_activity(tree.yz, capacity=5, opens_at=soon(1), closes_at=soon(2))
    with pytest.raises(ValidationError) as exc:
        services.register(actor=yz_member.user, activity=activity, member=yz_member)
    assert code_of(exc) == "not_open_yet"
    with pytest.raises(ValidationError) as exc:
        services.register(actor=yz_member.user, activity=activity, member=yz_member, now=soon(3))
    assert code_of(exc) == "closed"


def test_open_activities_take_no_registration(tree, yz_member):
    activity = make_activity(tree.yz, mode=Mode.OPEN)
    with pytest.raises(ValidationError) as exc:
        services.register(actor=yz_member.user, activity=activity, member=yz_member)
    assert code_of(exc) == "no_registration"


# --- waiting list -----------------------------------------------------------------------------


def test_a_cancelled_place_is_offered_to_the_first_waiting_and_passes_on_after_the_deadline(tree):
    activity = make_activity(tree.yz, capacity=1, offer_hours=48)
    holder, first, second = (member_with_login(tree.yze) for _ in range(3))
    held = services.register(actor=holder.user, activity=activity, member=holder)
    w1 = services.register(actor=first.user, activity=activity, member=first, wait=True)
    w2 = services.register(actor=second.user, activity=activity, member=second, wait=True)
    assert (w1.status, w2.status) == (RegStatus.WAITING, RegStatus.WAITING)
    assert selectors.waiting_position(registration=w1) == 1
    assert selectors.waiting_position(registration=w2) == 2

    services.registration_cancel(actor=holder.user, registration=held)
    w1.refresh_from_db()
    assert w1.status == RegStatus.OFFERED
    assert w1.offer_expires_at - timezone.now() > dt.timedelta(hours=47)
    w2.refresh_from_db()
    assert selectors.waiting_position(registration=w2) == 1

    # Nobody answers for 48 hours: the offer lapses and passes to the next.
    assert services.offers_pass_on(now=timezone.now() + dt.timedelta(hours=49)) == 1
    w1.refresh_from_db()
    w2.refresh_from_db()
    assert w1.status == RegStatus.EXPIRED
    assert w2.status == RegStatus.OFFERED
    with pytest.raises(ValidationError) as exc:
        services.offer_accept(actor=first.user, registration=w1)
    assert code_of(exc) == "not_offered"
    services.offer_accept(actor=second.user, registration=w2)
    w2.refresh_from_db()
    assert w2.status == RegStatus.CONFIRMED
    activity.refresh_from_db()
    assert activity.taken == 1


def test_a_cancelled_place_without_anyone_waiting_goes_back(tree, yz_member):
    activity = make_activity(tree.yz, capacity=1)
    reg = services.register(actor=yz_member.user, activity=activity, member=yz_member)
    services.registration_cancel(actor=yz_member.user, registration=reg)
    activity.refresh_from_db()
    assert activity.taken == 0
    with pytest.raises(ValidationError) as exc:
        services.registration_cancel(actor=yz_member.user, registration=reg)
    assert code_of(exc) == "not_live"
    again = services.register(actor=yz_member.user, activity=activity, member=yz_member)
    assert again.status == RegStatus.CONFIRMED


def test_more_places_go_to_the_waiting_list_first(tree, yz_cadre):
    activity = make_activity(tree.yz, capacity=1)
    a, b = member_with_login(tree.yze), member_with_login(tree.yze)
    services.register(actor=a.user, activity=activity, member=a)
    wb = services.register(actor=b.user, activity=activity, member=b, wait=True)
    services.activity_set_capacity(actor=yz_cadre, activity=activity, capacity=2)
    wb.refresh_from_db()
    assert wb.status == RegStatus.OFFERED


def test_capacity_cannot_go_below_the_places_given(tree, yz_cadre):
    activity = make_activity(tree.yz, capacity=3)
    for _ in range(2):
        m = member_with_login(tree.yze)
        services.register(actor=m.user, activity=activity, member=m)
    with pytest.raises(ValidationError) as exc:
        services.activity_set_capacity(actor=yz_cadre, activity=activity, capacity=1)
    assert code_of(exc) == "quota_below_taken"
    activity.refresh_from_db()
    assert activity.capacity == 3


def test_a_session_in_the_past_is_refused(tree, yz_cadre):
    with pytest.raises(ValidationError) as exc:
        services.activity_create(actor=yz_cadre, org=tree.yz, kind=make_activity(tree.yz).kind, title="过去",
                                 sessions=[(timezone.now() - dt.timedelta(days=1), None)])
    assert "sessions" in exc.value.message_dict
    assert Activity.objects.filter(title="过去").count() == 0


def test_a_cadre_of_another_district_cannot_create_here(tree, bl_cadre):
    with pytest.raises(PermissionDenied):
        make_activity(tree.yz, actor=bl_cadre)


# --- lottery ----------------------------------------------------------------------------------


def _lottery_with(tree, n, capacity, **fields):
    activity = make_activity(tree.yz, mode=Mode.LOTTERY, capacity=capacity, **fields)
    members = [member_with_login(tree.yze, **(fields.pop("member_fields", {}))) for _ in range(n)]
    for m in members:
        assert services.register(actor=m.user, activity=activity, member=m).status == RegStatus.APPLIED
    return activity, members


def test_the_draw_waits_for_the_window_and_runs_once(tree, yz_cadre):
    activity, _members = _lottery_with(tree, 5, 2)
    with pytest.raises(ValidationError) as exc:
        services.draw_run(actor=yz_cadre, activity=activity)
    assert code_of(exc) == "draw_too_early"
    after = soon(4)
    result = services.draw_run(actor=yz_cadre, activity=activity, seed="abc", now=after)
    assert result == {"seed": "abc", "entrants": 5, "winners": 2}
    with pytest.raises(ValidationError) as exc:
        services.draw_run(actor=yz_cadre, activity=Activity.objects.get(pk=activity.pk), now=after)
    assert code_of(exc) == "already_drawn"
    counts = selectors.counts_of_activity(activity=activity)
    assert counts[RegStatus.CONFIRMED] == 2 and counts[RegStatus.WAITING] == 3


def test_anyone_can_rerun_the_published_draw(tree, yz_cadre):
    activity, _members = _lottery_with(tree, 12, 4)
    services.draw_run(actor=yz_cadre, activity=activity, seed="五一", now=soon(4))
    published = selectors.draw_result(activity=Activity.objects.get(pk=activity.pk))
    order = rules.draw_order(published["seed"], [(e["ticket"], e["priority"]) for e in published["entrants"]])
    assert order[:4] == published["winners"]
    winners = set(Registration.objects.filter(activity=activity, status=RegStatus.CONFIRMED)
                  .values_list("ticket", flat=True))
    assert winners == set(published["winners"])


def test_priority_groups_are_drawn_first(tree, yz_cadre):
    activity = make_activity(tree.yz, mode=Mode.LOTTERY, capacity=3, priority_groups=["hardship", "new_form"])
    plain = [member_with_login(tree.yze) for _ in range(6)]
    gig = [member_with_login(tree.yze, is_new_form=True) for _ in range(2)]
    hardship = member_with_login(tree.yze)
    services.eligibility_set(actor=yz_cadre, member=hardship, kind="hardship")
    for m in [*plain, *gig, hardship]:
        services.register(actor=m.user, activity=activity, member=m)
    services.draw_run(actor=yz_cadre, activity=activity, now=soon(4))
    won = set(Registration.objects.filter(activity=activity, status=RegStatus.CONFIRMED)
              .values_list("member_id", flat=True))
    assert won == {hardship.pk, *(m.pk for m in gig)}
    assert Registration.objects.get(activity=activity, member=hardship).rank == 1


def test_same_seed_same_order():
    entrants = [(f"t{i:03d}", i % 3) for i in range(100)]
    assert rules.draw_order("s", entrants) == rules.draw_order("s", list(reversed(entrants)))
    assert rules.draw_order("s", entrants) != rules.draw_order("t", entrants)


# --- allocation -------------------------------------------------------------------------------


def test_allocated_places_are_named_within_each_share(tree, nb_cadre, yz_cadre, bl_cadre):
    activity = make_activity(tree.nb, mode=Mode.ALLOCATED, capacity=3, kind=None)
    yz_share = services.share_set(actor=nb_cadre, activity=activity, org=tree.yz, places=2)
    bl_share = services.share_set(actor=nb_cadre, activity=activity, org=tree.bl, places=1)
    with pytest.raises(ValidationError) as exc:
        services.share_set(actor=nb_cadre, activity=activity, org=tree.bl, places=2)
    assert code_of(exc) == "shares_exceed"
    yz_people = [make_member(tree.yze) for _ in range(3)]
    services.share_name(actor=yz_cadre, share=yz_share, member=yz_people[0])
    services.share_name(actor=yz_cadre, share=yz_share, member=yz_people[1])
    with pytest.raises(ValidationError) as exc:
        services.share_name(actor=yz_cadre, share=yz_share, member=yz_people[2])
    assert code_of(exc) == "share_full"
    with pytest.raises(PermissionDenied):
        services.share_name(actor=yz_cadre, share=bl_share, member=make_member(tree.ble))
    with pytest.raises(ValidationError) as exc:
        services.share_name(actor=bl_cadre, share=bl_share, member=yz_people[2])
    assert code_of(exc) == "outside_share"
    with pytest.raises(ValidationError) as exc:
        services.share_set(actor=nb_cadre, activity=activity, org=tree.yz, places=1)
    assert code_of(exc) == "share_below_named"
    activity.refresh_from_db()
    assert activity.taken == 2


# --- check-in ---------------------------------------------------------------------------------


def test_a_repeated_scan_counts_once(tree, yz_cadre, yz_member):
    activity = make_activity(tree.yz, capacity=5)
    services.register(actor=yz_member.user, activity=activity, member=yz_member)
    session = activity.sessions.get()
    code = codes.member_code(yz_member.pk)
    _a, first = services.check_in_card(actor=yz_cadre, session=session, code=code)
    _a, again = services.check_in_card(actor=yz_cadre, session=session, code=code)
    assert (first, again) == (True, False)
    assert Attendance.objects.count() == 1
    session.refresh_from_db()
    assert (session.held, session.attended) == (True, 1)


def test_forged_and_unsigned_codes_are_refused(tree, yz_cadre, yz_member):
    activity = make_activity(tree.yz, capacity=5)
    services.register(actor=yz_member.user, activity=activity, member=yz_member)
    session = activity.sessions.get()
    forged = codes.member_code(yz_member.pk)[:-3] + "xyz"
    other = codes.MEMBER_PREFIX + f"{yz_member.pk + 1}:" + codes.member_code(yz_member.pk).rsplit(":", 1)[1]
    for code, reason in ((forged, "forged_code"), (other, "forged_code"), ("GONGHUI:CARD:5105000", "portal_card"),
                         ("hello", "forged_code")):
        with pytest.raises(ValidationError) as exc:
            services.check_in_card(actor=yz_cadre, session=session, code=code)
        assert code_of(exc) == reason
    assert not Attendance.objects.exists()


def test_only_members_with_a_place_check_in_unless_open(tree, yz_cadre, yz_member):
    activity = make_activity(tree.yz, capacity=5)
    with pytest.raises(ValidationError) as exc:
        services.check_in_card(actor=yz_cadre, session=activity.sessions.get(), code=codes.member_code(yz_member.pk))
    assert code_of(exc) == "not_registered"
    open_one = make_activity(tree.yz, mode=Mode.OPEN)
    _a, first = services.check_in_card(actor=yz_cadre, session=open_one.sessions.get(),
                                       code=codes.member_code(yz_member.pk))
    assert first


def test_a_member_checks_in_with_the_session_code(tree, yz_member):
    activity = make_activity(tree.yz, mode=Mode.OPEN)
    session = activity.sessions.get()
    _a, first = services.check_in_self(actor=yz_member.user, code=codes.session_code(session.pk))
    assert first
    with pytest.raises(ValidationError):
        services.check_in_self(actor=yz_member.user, code=codes.session_code(session.pk) + "0")


def test_figures_count_sessions_participants_and_registrations(tree, yz_cadre, yz_member):
    activity = make_activity(tree.yz, capacity=5, sessions=2)
    services.register(actor=yz_member.user, activity=activity, member=yz_member)
    activity.sessions.update(starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=None)  # held by now
    first, second = activity.sessions.select_related("activity__kind")
    services.check_in_card(actor=yz_cadre, session=first, code=codes.member_code(yz_member.pk))
    services.check_in_card(actor=yz_cadre, session=first, code=codes.member_code(yz_member.pk))
    services.return_record(actor=yz_cadre, session=second, headcount=120)
    figures = ledger.period_figures(tree.nb.path, None, None)
    assert figures["activities_held"] == 2
    assert figures["participants"] == 121
    assert figures["registrations"] == 1
    assert ledger.rebuild() == 0
    assert list(audit.verify()) == []
