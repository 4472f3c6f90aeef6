from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import DealerGroup, Membership, Store, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["store", "role", "is_active"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("DealerDesk"), {"fields": ("full_name", "mobile", "language")}),
    )
    list_display = ["username", "full_name", "email", "is_active", "last_login"]
    search_fields = ["username", "full_name", "email"]
    inlines = [MembershipInline]


@admin.register(DealerGroup)
class DealerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "city", "time_zone", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["code", "name", "city"]
