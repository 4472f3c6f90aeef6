"""Admin views of registrations: read-only (they change through the services only)."""

from django.contrib import admin

from .models import Registration, RegistrationDocument, RegistrationPolicy


@admin.register(RegistrationPolicy)
class RegistrationPolicyAdmin(admin.ModelAdmin):
    list_display = ["store", "target_working_days", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = RegistrationDocument
    fields = ["kind", "holder", "received_at", "received_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(_ReadOnly):
    list_display = ["number", "store", "customer", "status", "by_customer", "clerk", "target_on", "plate"]
    list_filter = ["status", "by_customer", "store"]
    search_fields = ["number", "plate"]
    raw_id_fields = ["order", "customer", "stock_vehicle", "clerk", "created_by"]
    inlines = [DocumentInline]
