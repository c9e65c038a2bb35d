from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Data subject requests"

    def ready(self) -> None:
        from django.core import checks

        from requests_app.infra.language import check_catalogues

        checks.register(check_catalogues)
