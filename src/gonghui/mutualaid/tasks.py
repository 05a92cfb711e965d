"""Background tasks of mutual aid (Django's tasks API, see settings.TASKS)."""

from django.conf import settings
from django_tasks import task

from gonghui.mutualaid.feeds import feed_run
from gonghui.mutualaid.pricing import price_received


@task()
def run_feed(feed_id: int) -> str:
    """Read an uploaded settlement file and price its records; the feed row carries progress and outcome."""
    return feed_run(feed_id=feed_id)


@task()
def price_pending(feed_id: int | None = None) -> int:
    """Price the records still waiting (of one feed, or all); the number of records handled."""
    return price_received(feed_id=feed_id, workers=settings.AID_PRICING_WORKERS).records
