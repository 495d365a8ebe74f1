from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from cases import audit
        from cases.reference_data import indicators_load
        from regions.reference_data import reference_loader_register

        reference_loader_register("indicators", indicators_load)
        connection_created.connect(audit.sqlite_function_register, dispatch_uid="audit-sqlite")
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:  # opened before this app was ready
                audit.sqlite_function_register(None, connection)
        post_migrate.connect(audit.sqlite_triggers_reinstall, sender=self)
