import datetime as dt

import pytest

from gonghui.members.models import Category
from tests.factories import make_member, valid_id_number

# The plain ID numbers of the fixtures, so tests can assert they never reach a page unasked.
YZ_MEMBER_ID = valid_id_number(9001, birth=dt.date(1988, 5, 17))
BL_MEMBER_ID = valid_id_number(9002, birth=dt.date(1979, 3, 2))


@pytest.fixture
def yz_member(tree):
    return make_member(tree.yze, name="张三丰", id_number=YZ_MEMBER_ID, phone="13812345678",
                       category=Category.COURIER, is_new_form=True, joined_on=dt.date(2020, 6, 1))


@pytest.fixture
def bl_member(tree):
    return make_member(tree.ble, name="李四", id_number=BL_MEMBER_ID, joined_on=dt.date(2019, 1, 1))


@pytest.fixture
def member_without_record(db):
    from tests.factories import UserFactory

    return UserFactory(username="newcomer")
