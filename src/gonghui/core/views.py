from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception:  # noqa: BLE001 - a health check reports, it does not raise
        db = "error"
    return JsonResponse({"status": "ok" if db == "ok" else "error", "db": db}, status=200 if db == "ok" else 503)
