import pytest

from tests.api.conftest import api_as  # noqa: F401  (fixture)


@pytest.fixture
def yz_industry(tree):
    from gonghui.orgs.models import OrgKind
    from tests.factories import make_org

    return make_org(tree.yz, code="YZH", name="鄞州区家政行业工会", kind=OrgKind.INDUSTRY)

