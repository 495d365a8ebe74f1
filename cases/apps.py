from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases.reference_data import indicators_load
        from regions.reference_data import reference_loader_register

        reference_loader_register("indicators", indicators_load)
