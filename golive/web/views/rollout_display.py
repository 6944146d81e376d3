"""What the rollout pages show but the domain does not compute: T± labels, durations, teams."""

from datetime import timedelta

from golive.resources.models import ResourceKind
from golive.resources.selectors import resource_list


def project_teams(request, project) -> list:
    """Return the project's active teams (owner teams of steps)."""
    return list(
        resource_list(user=request.user, project=project, active=True, kind=ResourceKind.TEAM)
    )


def t_offset(minutes) -> str:
    """Label a planned start relative to T0: "T-30m", "T0", "T+1h15m"."""
    if minutes is None:
        return "—"
    if minutes == 0:
        return "T0"
    sign = "-" if minutes < 0 else "+"
    return f"T{sign}{duration(abs(minutes))}"


def duration(minutes) -> str:
    """Label a number of minutes: "45m", "2h", "1h30m", "2d3h"."""
    if minutes is None:
        return "—"
    minutes = round(minutes)
    if minutes < 60:
        return f"{minutes}m"
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts)


def seconds_label(seconds) -> str:
    """Label a number of seconds as minutes (with seconds under ten minutes)."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 600:
        mins, secs = divmod(seconds, 60)
        return f"{mins}m{secs:02d}s" if mins else f"{secs}s"
    return duration(seconds / 60)


def delta_minutes(delta: timedelta | None):
    return None if delta is None else delta.total_seconds() / 60
