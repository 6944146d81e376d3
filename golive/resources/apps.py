from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "golive.resources"
    label = "resources"
    verbose_name = "Resources"

    def ready(self) -> None:
        from golive.resources import criteria, planning  # noqa: F401  criteria and start floors
