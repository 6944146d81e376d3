from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "golive.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from golive.quality import criteria  # noqa: F401  registers the quality criteria
