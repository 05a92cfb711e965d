from decimal import Decimal

import pytest

from gonghui.demo.services import demo_load

# Small enough to load in half a second, large enough for every district to hold a grassroots
# union and for the big ones to have townships: 42 unions, 6,078 members.
TEST_SCALE = Decimal("0.002")
PASSWORD = "demo-test-pass"


@pytest.fixture
def demo(db):
    return demo_load(scale=TEST_SCALE, password=PASSWORD)
