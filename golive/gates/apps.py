from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "golive.gates"
    label = "gates"
    verbose_name = "Gates and decisions"
