from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults


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


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """No route for the address: the API answers JSON as its other errors do (`code` + `detail`), pages the HTML
    error page."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse
        from rest_framework.exceptions import NotFound

        return JsonResponse({"code": NotFound.default_code, "detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page's <link rel=icon> says; the static URL is resolved per request
    (the hashed name exists only after collectstatic)."""
    return redirect(static("dealerdesk/favicon.svg"), permanent=True)
