"""Admin views of kernel records: look, never touch (append-only records have no add/change/delete)."""

from django.contrib import admin

from .models import AccessLog, AuditEntry, Notification, PeriodicDutyRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "actor", "action", "target_type", "target_id"]
    list_filter = ["store", "action"]
    search_fields = ["action", "target_id", "request_id"]
    show_full_result_count = False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "actor", "kind", "target_type", "target_id", "row_count"]
    list_filter = ["kind", "store"]
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "store", "channel", "subject", "status", "attempts", "last_error"]
    list_filter = ["status", "channel", "store"]
    show_full_result_count = False


@admin.register(PeriodicDutyRun)
class PeriodicDutyRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_result"]
