"""Reusable querysets over roles and the matrix."""

from django.contrib.auth import get_user_model

from .names import check_operation, check_service


def users_with_grant(event, service, operation):
    """Return the users whose role in the event grants the operation on the service (the event's team only).

    Staff and the super admin are not in it unless they hold such a role: this
    is who to tell about the event's business (e.g. a new order), not who could look.
    """
    check_service(service)
    check_operation(operation)
    return (
        get_user_model()
        ._default_manager.filter(
            event_roles__event=event,
            event_roles__role__permissions__service__name=service,
            **{f"event_roles__role__permissions__can_{operation}": True},
        )
        .distinct()
        .order_by("pk")
    )
