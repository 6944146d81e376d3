from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "golive.work"
    label = "work"
    verbose_name = "Plan and execute"

    def ready(self) -> None:
        from golive.work import criteria  # noqa: F401  registers the plan's criteria
