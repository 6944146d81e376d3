from django.contrib import admin

from golive.projects.models import Membership, Project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ["user", "role"]
    can_delete = False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Read-only oversight for site admins; edits go through the services (and the audit log)."""

    list_display = ["key", "name", "phase", "manager", "planned_go_live"]
    inlines = [MembershipInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
