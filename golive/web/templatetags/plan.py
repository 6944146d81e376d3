"""Template filters of the plan pages: working time, variances and ages."""

from django import template

from golive.web.plan_display import STANDARD_DAY, age_label, link_label, work_time

register = template.Library()


@register.filter
def worktime(minutes, per_day=STANDARD_DAY) -> str:
    """Render working minutes as days and hours on the calendar's day (480 → 1 d)."""
    return work_time(minutes, per_day)


@register.filter
def variance(minutes, per_day=STANDARD_DAY) -> str:
    """Render a variance with its sign: +2 d (later or longer), -4 h, or 0."""
    if minutes is None:
        return "—"
    if minutes == 0:
        return "0"
    return ("+" if minutes > 0 else "") + work_time(minutes, per_day)


@register.filter
def age(delta) -> str:
    """Render a timedelta as 3 d 4 h."""
    return age_label(delta)


@register.filter
def link(dependency, per_day=STANDARD_DAY) -> str:
    """Render a predecessor link as 1.2FS+2d."""
    return link_label(dependency, per_day)
