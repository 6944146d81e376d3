from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "golive.rollout"
    label = "rollout"
    verbose_name = "Rollout and cutover"

    def ready(self) -> None:
        from golive.rollout import criteria  # noqa: F401  registers the rollout criteria
