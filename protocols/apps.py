from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = "Response protocols"

    def ready(self) -> None:
        from protocols.reference_data import default_protocol_load
        from regions.reference_data import reference_loader_register

        reference_loader_register("default protocol versions", default_protocol_load)
