from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from golive.accounts.models import ApiToken, User


@admin.register(User)
class GoliveUserAdmin(UserAdmin):
    """Site admins manage accounts; people are deactivated, never deleted, so every audit
    event, membership and decision keeps its author."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed for oversight; they are created by their owners, never here."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
