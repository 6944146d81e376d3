from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "golive.projects"
    label = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from golive.projects import criteria  # noqa: F401  registers the project's criterion types
