from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "golive.server"
    label = "server"
    verbose_name = "Server and demo"
