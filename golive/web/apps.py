from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "golive.web"
    label = "web"
    verbose_name = "Web interface"
