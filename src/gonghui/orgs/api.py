from ninja import Field, Router, Schema

from gonghui.core.api import ERRORS
from gonghui.orgs.selectors import org_children, org_get, org_parent_code

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


def _with_parent(org):
    org.parent_code = org_parent_code(org=org)
    return org


@router.get("/{code}", response={200: OrgOut, **ERRORS}, summary="One union")
def org_detail(request, code: str):
    return _with_parent(org_get(user=request.user, code=code))


@router.get("/{code}/children", response={200: list[OrgOut], **ERRORS}, summary="The unions directly under one union")
def org_children_list(request, code: str):
    org = org_get(user=request.user, code=code)
    children = list(org_children(user=request.user, org=org))
    for child in children:
        child.parent_code = org.code
    return children
