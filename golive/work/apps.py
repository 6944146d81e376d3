from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "golive.work"
    label = "work"
    verbose_name = "Plan and execute"
