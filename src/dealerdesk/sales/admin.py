"""Admin views of orders, contracts and payments: read-only (they change through the services only); templates
are read-only too (a change is a new version, made on the template page)."""

from django.contrib import admin

from .models import Contract, ContractTemplate, ContractTemplateVersion, Order, Payment


class _ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(_ReadOnly):
    list_display = ["number", "store", "status", "total", "amount_paid", "created_at"]
    list_filter = ["status", "store"]
    search_fields = ["number"]


@admin.register(Contract)
class ContractAdmin(_ReadOnly):
    list_display = ["number", "store", "status", "version", "signed_at", "sha256"]
    list_filter = ["status", "store"]
    search_fields = ["number"]
    exclude = ["pdf", "customer_signature"]


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ["receipt_number", "store", "order", "kind", "method", "amount", "received_at"]
    list_filter = ["kind", "method", "store"]


@admin.register(ContractTemplate)
class ContractTemplateAdmin(_ReadOnly):
    list_display = ["name", "store", "is_default", "created_at"]


@admin.register(ContractTemplateVersion)
class ContractTemplateVersionAdmin(_ReadOnly):
    list_display = ["template", "number", "note", "created_at"]
