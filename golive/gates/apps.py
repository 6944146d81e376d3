from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "golive.gates"
    label = "gates"
    verbose_name = "Gates and decisions"

    def ready(self) -> None:
        from golive.gates import criteria  # noqa: F401  registers the gates' criteria
