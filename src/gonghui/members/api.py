import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from ninja import Query, Router, Schema

from gonghui.members.selectors import member_get, member_list
from gonghui.orgs.selectors import org_get

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int
    name: str
    org: str
    org_name: str
    id_number: str
    phone: str
    sex: str
    birth_date: dt.date
    category: str
    is_new_form: bool
    employer: str
    joined_on: dt.date
    left_on: dt.date | None
    status: str
    card_number: str | None

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


class MemberPage(Schema):
    count: int
    page: int
    pages: int
    results: list[MemberOut]


class MemberQuery(Schema):
    org: str
    page: int = 1
    q: str = ""


@router.get("", response=MemberPage, summary="Members of a union's subtree, 50 a page (ID numbers masked)")
def members(request, params: Query[MemberQuery]):
    org = org_get(user=request.user, code=params.org)
    paginator = Paginator(member_list(user=request.user, org=org, text=params.q), settings.PAGE_SIZE)
    page = paginator.get_page(params.page)
    return {"count": paginator.count, "page": page.number, "pages": paginator.num_pages,
            "results": list(page.object_list)}


@router.get("/{int:member_id}", response=MemberOut, summary="One member (ID number masked)")
def member_detail(request, member_id: int):
    member = member_get(user=request.user, pk=member_id)
    if member is None:
        raise Http404
    return member
