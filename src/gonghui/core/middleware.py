from gonghui.core.audit import request_ip


class AuditContextMiddleware:
    """Makes the client address available to audit.record() without services reading request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
