"""Admin views of the test-drive app: settings and routes are editable; bookings, licences and agreements are
read-only (they change through the services only, which audit and check the overlap invariant)."""

from django.contrib import admin

from .models import DriverLicence, Route, TestDrive, TestDriveAgreement, TestDriveSettings


@admin.register(TestDriveSettings)
class TestDriveSettingsAdmin(admin.ModelAdmin):
    list_display = ["store", "slot_minutes", "buffer_minutes", "max_minutes", "min_energy_percent"]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "distance_km", "duration_minutes", "is_active"]
    list_filter = ["store", "is_active"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TestDrive)
class TestDriveAdmin(_ReadOnly):
    list_display = ["number", "store", "customer", "demo_car", "consultant", "start_at", "status"]
    list_filter = ["status", "channel", "store"]
    raw_id_fields = ["customer", "demo_car", "consultant", "licence"]


@admin.register(DriverLicence)
class DriverLicenceAdmin(_ReadOnly):
    list_display = ["customer", "licence_class", "expires_on", "recorded_at"]
    exclude = ["number", "number_index"]  # never shown in clear


@admin.register(TestDriveAgreement)
class TestDriveAgreementAdmin(_ReadOnly):
    list_display = ["test_drive", "sha256", "generated_at", "accepted_at"]
    exclude = ["pdf", "signature_png"]
