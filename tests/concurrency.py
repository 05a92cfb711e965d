"""Helpers for tests that race real threads, each on its own database connection (PostgreSQL)."""

import threading

from django.db import connections


def run_together(jobs, *, timeout: float = 30):
    """Run each job in its own thread and connection; return what each returned or raised."""
    results = [None] * len(jobs)

    def run(i, job):
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
