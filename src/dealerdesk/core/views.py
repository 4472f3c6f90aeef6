from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF token: explain, change nothing, offer the way back."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        return JsonResponse(
            {
                "code": "csrf_failed",
                "detail": _("The security token is missing or stale. Reload the page and try again."),
            },
            status=403,
        )
    return render(request, "core/csrf_failure.html", status=403)
