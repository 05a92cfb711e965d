"""Every chart of the staff pages draws every category label, on a wide screen and a narrow one.

ECharts thins a category axis on its own when labels do not fit ("auto" interval): a cadre then
reads one claim type of seven under the bars. The shared drawing code must show each label
(switching to horizontal bars when they do not fit side by side).
"""

from __future__ import annotations

import pytest

from gonghui.demo.services import demo_load
from tests.demo.conftest import PASSWORD, TEST_SCALE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/staff/", "/staff/stats/", "/staff/disputes/", "/staff/aid/"]

# For each drawn chart: its spec's labels, and the SVG's text elements in document order.
DRAWN = """() => Array.from(document.querySelectorAll('[data-chart][data-rendered]')).map(el => ({
    id: el.id,
    kind: JSON.parse(document.getElementById(el.dataset.chart).textContent).kind,
    labels: JSON.parse(document.getElementById(el.dataset.chart).textContent).labels,
    texts: Array.from(el.querySelectorAll('svg text')).map(t => t.textContent),
}))"""


def _shown(label: str, texts: list[str]) -> bool:
    """The label is one text of the SVG, or lines of it in a row (a wrapped label)."""
    for i in range(len(texts)):
        joined = ""
        for text in texts[i:]:
            joined += text
            if joined == label:
                return True
            if not label.startswith(joined):
                break
    return False


def _login(page, url: str):
    page.goto(f"{url}/staff/login/")
    page.locator("[name=username]").fill("nb")
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("[name=password]").press("Enter")
    page.wait_for_url(f"{url}/staff/")


@pytest.mark.parametrize("width", [1366, 1200, 820])
def test_every_category_label_is_drawn(staff_page, live_server, shot, width):
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    page = staff_page
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server.url)
    seen, hidden = 0, []
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        count = page.locator("[data-chart]").count()
        page.wait_for_function(f"document.querySelectorAll('[data-chart][data-rendered] svg').length == {count}")
        shot(page, f"charts-{width}{path.replace('/', '-').rstrip('-')}", full_page=True)
        for chart in page.evaluate(DRAWN):
            if chart["kind"] == "pie":  # a pie names its slices in the legend, each with its count
                missing = [label for label in chart["labels"] if not any(t.startswith(label) for t in chart["texts"])]
            else:
                missing = [label for label in chart["labels"] if not _shown(label, chart["texts"])]
            if missing:
                hidden.append(f"{path} #{chart['id']} hides {missing}")
            seen += 1
    assert not hidden, f"at {width}px: " + "; ".join(hidden)
    assert seen >= 10
    assert not page.problems
