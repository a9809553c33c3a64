def unread_notifications(request):
    """Give every page the signed-in user's unread count (one indexed COUNT, lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        return user.notifications.filter(has_read=False).count()

    return {"unread_notifications_count": count}
