import datetime as dt

from ninja import Field, Query, Router, Schema

from gonghui.orgs.selectors import org_children, org_get
from gonghui.stats.selectors import subtree_stats

router = Router(tags=["orgs"])


class OrgOut(Schema):
    code: str
    name: str
    kind: str
    is_new_form: bool
    credit_code: str
    star_rating: int | None
    depth: int
    parent: str | None = Field(None, description="code of the parent union")

    @staticmethod
    def resolve_parent(obj):
        return getattr(obj, "parent_code", None)


class StatsQuery(Schema):
    on: dt.date | None = Field(None, description="membership as of this day (default today)")
    from_: dt.date | None = Field(None, alias="from", description="start of the activity period")
    to: dt.date | None = Field(None, description="end of the activity period")


class StatsOut(Schema):
    orgs: int
    members: int
    new_form_orgs: int
    new_form_members: int
    by_category: dict[str, int]
    by_sex: dict[str, int]
    by_age_band: dict[str, int]
    joined_per_year: dict[str, int]
    on: str


def _with_parent(org):
    parent = org.get_parent()
    org.parent_code = parent.code if parent else None
    return org


@router.get("/{code}", response=OrgOut, summary="One union")
def org_detail(request, code: str):
    return _with_parent(org_get(user=request.user, code=code))


@router.get("/{code}/children", response=list[OrgOut], summary="The unions directly under one union")
def org_children_list(request, code: str):
    org = org_get(user=request.user, code=code)
    children = list(org_children(user=request.user, org=org))
    for child in children:
        child.parent_code = org.code
    return children


@router.get("/{code}/stats", response=StatsOut, summary="Statistics of a union's whole subtree")
def org_stats(request, code: str, params: Query[StatsQuery]):
    org = org_get(user=request.user, code=code)
    return subtree_stats(org=org, on=params.on)
