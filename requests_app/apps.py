from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Data subject requests"

    def ready(self) -> None:
        from django.core import checks

        from requests_app.infra.language import check_catalogues
        from requests_app.integrations.dispatch import event_has_consumers
        from requests_app.workflow.events import event_consumers_known

        checks.register(check_catalogues)
        event_consumers_known(event_has_consumers)
