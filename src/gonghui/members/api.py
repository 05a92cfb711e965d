import datetime as dt

from django.http import Http404
from ninja import Field, Query, Router, Schema

from gonghui.core.api import ERRORS, NO_NUL, PAGE_HELP, Day, paginate
from gonghui.members.selectors import member_get, member_list
from gonghui.members.services import member_leave
from gonghui.orgs.selectors import org_get

router = Router(tags=["members"])


class PersonOut(Schema):
    """Resolvers for a person held in a union: the union's code and name, ID number and mobile masked.

    Only resolvers, no fields, so each schema keeps its own field order."""

    @staticmethod
    def resolve_org(obj):
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj):
        return obj.org.name

    @staticmethod
    def resolve_id_number(obj):
        return obj.id_masked

    @staticmethod
    def resolve_phone(obj):
        return obj.phone_masked


class MemberOut(PersonOut):
    id: int
    name: str
    org: str
    org_name: str
    id_number: str
    phone: str
    sex: str
    # No birth date: the masked ID number hides exactly the birth date, and a reader who may not
    # reveal ID numbers must not be able to rebuild one from the two.
    category: str
    is_new_form: bool
    employer: str
    joined_on: dt.date
    left_on: dt.date | None
    status: str
    card_number: str | None


class MemberPage(Schema):
    count: int
    page: int
    pages: int
    results: list[MemberOut]


class MemberQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, description="code of the union whose subtree is listed")
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)
    q: str = Field("", max_length=50, description="name or card number starts with")


@router.get("", response={200: MemberPage, **ERRORS}, summary="Members of a union's subtree, 50 a page (ID numbers masked)")
def members(request, params: Query[MemberQuery]):
    org = org_get(user=request.user, code=params.org)
    return paginate(member_list(user=request.user, org=org, text=params.q), params.page)


@router.get("/{int:member_id}", response={200: MemberOut, **ERRORS}, summary="One member (ID number masked)")
def member_detail(request, member_id: int):
    member = member_get(user=request.user, pk=member_id)
    if member is None:
        raise Http404
    return member


class LeaveIn(Schema):
    on: Day | None = Field(None, description="the day of leaving (default today; never in the future)")
    reason: str = Field(..., max_length=200, pattern=NO_NUL, description="why the member leaves (退会)")


@router.post("/{int:member_id}/leave", response={200: MemberOut, **ERRORS},
             summary="The member leaves their union (退会); history is kept, a later join or transfer brings them back")
def member_leave_endpoint(request, member_id: int, payload: LeaveIn):
    member = member_get(user=request.user, pk=member_id)
    if member is None:
        raise Http404
    return member_leave(actor=request.user, member=member, on=payload.on, reason=payload.reason)
