from django.contrib import admin

from golive.readiness.models import ReadinessItem


@admin.register(ReadinessItem)
class ReadinessItemAdmin(admin.ModelAdmin):
    """Read-only oversight: checklist changes go through the project pages and the API."""

    list_display = ["title", "project", "owner", "status", "approved_by"]
    list_filter = ["status", "category"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
