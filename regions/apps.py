from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = "Regions and organisations"

    def ready(self) -> None:
        from regions.reference_data import reference_loader_register, service_types_load

        reference_loader_register("service types", service_types_load)
