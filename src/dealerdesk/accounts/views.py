from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from dealerdesk.core import audit_display
from dealerdesk.core import services as core_services
from dealerdesk.core.audit import ACTION_LABELS, action_label
from dealerdesk.core.errors import DomainError
from dealerdesk.core.models import Notification
from dealerdesk.core.pagination import keyset_page
from dealerdesk.core.transports import error_text
from dealerdesk.core.webforms import int_or as _int

from . import queues, selectors, services
from .forms import LanguageForm, LoginForm
from .models import Membership
from .permissions import user_can

LOCKED_MESSAGE = gettext_noop(
    "Too many failed logins: this account is locked for 15 minutes. Try again later or ask your store administrator."
)


def locked_out(request: HttpRequest, response=None, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes calls this when a username is locked: a clear message, in the page or as JSON."""
    message = _(LOCKED_MESSAGE)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "detail": message}, status=429)
    return render(
        request,
        "registration/login.html",
        {"form": LoginForm(request), "locked_message": message},
        status=429,
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's form and checks; the write goes through the service so it is audited."""

    def form_valid(self, form):
        services.user_change_password(actor=self.request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("home")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.membership_summary_for(request.user)
    stores = [row["store"] for row in memberships]
    current = _current_store(request, stores)
    context = {
        "memberships": memberships,
        "current_store": current,
        "recent_audit": selectors.audit_recent_for_store(request.user, current) if current else [],
        "can_view_audit": bool(current and user_can(request.user, "store.view_audit", current)),
    }
    return render(request, "accounts/home.html", context)


def _current_store(request: HttpRequest, stores: list):
    """The store chosen with ?store=<code> (remembered in the session), else the first one."""
    wanted = request.GET.get("store") or request.session.get("store_code")
    for store in stores:
        if store.code == wanted:
            request.session["store_code"] = store.code
            return store
    return stores[0] if stores else None


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; saved on the profile when signed in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if not form.is_valid():
        messages.error(request, _("Choose Chinese or English."))
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        try:
            services.user_set_language(actor=request.user, language=language)
        except DomainError as exc:
            messages.error(request, exc.message)
    response.set_cookie("django_language", language, samesite="Lax", httponly=True)
    return response


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit trail of the stores whose trail the user may see, newest first, keyset pages."""
    qs = selectors.audit_visible_to(request.user)
    store_code = request.GET.get("store", "")
    if store_code:
        qs = qs.filter(store__code=store_code)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=50)
    # Each change only as the reader may see it (customer fields by the customers' field policy, mobiles and ID
    # numbers masked for everyone), worked out for the whole page in one go.
    audit_display.prepare(request.user, page.items)
    context = {
        "page": page,
        "stores": selectors.store_visible_to(request.user),
        "store_code": store_code,
        "action": action,
        # the filter offers the actions by their labels in the reader's language, not codes to type (issue #10.12)
        "action_choices": sorted(((code, action_label(code)) for code in ACTION_LABELS), key=lambda c: c[1]),
    }
    return render(request, "accounts/audit_list.html", context)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """Staff of each store the user administers: add a person or a role, reset a password, take a role away."""
    stores = [s for s in selectors.store_visible_to(request.user) if user_can(request.user, "store.manage", s)]
    if request.method == "POST":
        return _staff_action(request, {s.pk: s for s in stores})
    return _staff_page(request, stores)


def _staff_page(request: HttpRequest, stores: list, *, status: int = 200, **extra) -> HttpResponse:
    form_store = extra.get("form", {}).get("store")
    rows = []
    for s in stores:
        members = list(selectors.staff_of_store(request.user, s))
        # only the actions the services will carry out are offered (the same rule, asked before the click)
        actions = services.staff_actions(request.user, s, members)
        for m in members:
            m.can_reset, m.can_remove = actions[m.pk]["reset"], actions[m.pk]["remove"]
        roles = services.staff_roles_grantable(request.user, s)
        rows.append({"store": s, "members": members, "mine": s.pk == form_store, "roles": roles})
    context = {"rows": rows, "errors": {}, "form": {}, **extra}
    response = render(request, "accounts/staff_list.html", context, status=status)
    if extra.get("issued"):
        response["Cache-Control"] = "no-store, private"  # a one-time password must not stay in any cache
    return response


def _staff_action(request: HttpRequest, stores: dict) -> HttpResponse:
    p = request.POST
    store = stores.get(_int(p.get("store")))
    if store is None:
        raise Http404
    what = p.get("action", "")
    try:
        if what == "add":
            user, membership, password = services.staff_add(
                actor=request.user,
                store=store,
                username=p.get("username", ""),
                full_name=p.get("full_name", ""),
                role=p.get("role", ""),
            )
            notice = _("%(name)s is now %(role)s in %(store)s.") % {
                "name": user.full_name or user.username,
                "role": membership.get_role_display(),
                "store": store.name,
            }
            issued = {"username": user.username, "password": password} if password else None
            return _staff_page(request, list(stores.values()), notice=notice, issued=issued)
        membership = (
            Membership.objects.select_related("user", "store")
            .filter(pk=_int(p.get("membership")), store=store, is_active=True)
            .first()
        )
        if membership is None:
            raise Http404
        if what == "reset":
            password = services.staff_reset_password(actor=request.user, store=store, user=membership.user)
            issued = {"username": membership.user.username, "password": password}
            return _staff_page(request, list(stores.values()), issued=issued)
        if what == "remove":
            services.staff_remove_role(actor=request.user, membership=membership)
            messages.success(request, _("Role taken away."))
            return redirect("staff_list")
        raise Http404
    except ValidationError as exc:
        return _staff_page(
            request, list(stores.values()), status=400, errors=exc.message_dict, form={**p.dict(), "store": store.pk}
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("staff_list")


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Outgoing messages of the stores whose outbox the user may see, with delivery status."""
    qs = selectors.notification_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in Notification.Status.values:
        qs = qs.filter(status=status)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=50)
    for notification in page.items:
        notification.error_text = error_text(notification.last_error)
    return render(
        request,
        "accounts/outbox_list.html",
        {"page": page, "status": status, "statuses": Notification.Status.choices},
    )


@login_required
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_visible_to(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    try:
        core_services.notification_retry(actor=request.user, notification=notification)
        messages.success(request, _("The message is queued again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("outbox_list")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """A person's in-app messages (assignments, mentions, approvals), newest first; opening the page reads them."""
    qs = Notification.objects.filter(recipient_user=request.user, channel=Notification.Channel.IN_APP)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=30)
    unread = [n.pk for n in page.items if n.read_at is None]
    response = render(request, "accounts/inbox.html", {"page": page, "unread": set(unread)})
    if unread:
        core_services.notification_mark_read(user=request.user, notification_ids=unread)
    return response


@login_required
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The unread count for the navigation bell (loaded by htmx, so pages keep their own query counts)."""
    count = Notification.objects.filter(
        recipient_user=request.user, channel=Notification.Channel.IN_APP, read_at__isnull=True
    ).count()
    # the queue counts of the navigation ride along (out-of-band swaps): one background request a minute
    waiting = queues.waiting_for(request.user)
    context = {"count": count, "waiting": waiting, "nav_counts": queues.nav_counts(waiting)}
    return render(request, "accounts/_inbox_badge.html", context)


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread in-app message of the person as read."""
    marked = core_services.notification_mark_all_read(user=request.user)
    messages.success(request, _("%(n)d messages marked as read.") % {"n": marked})
    return redirect("inbox")
