from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "golive.readiness"
    label = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        from golive.readiness import criteria  # noqa: F401  registers the checklist criterion
