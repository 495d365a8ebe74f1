from django.apps import AppConfig


class HubnetConfig(AppConfig):
    name = "hubnet"
    verbose_name = "HubNet"
