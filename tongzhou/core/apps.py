from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongzhou.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tongzhou.core.thread_connections import close_with_thread

        # Infrastructure, not domain logic: a connection's lifetime follows its thread's.
        connection_created.connect(close_with_thread, dispatch_uid="core.close_with_thread")
