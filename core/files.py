"""Files that belong to a row go with it: deleted when the row is deleted, or when a save replaces them.

Registered per model and file field with ``delete_files_with_rows``; signals
(not a service call) because rows also go by cascade (an event and all its
sponsors), through the admin and through querysets. The file is deleted once
the transaction commits, so a rollback never loses a file a row still names.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save


def delete_files_with_rows(model, field_name, *, on_replace=True):
    """Delete the field's file after its row is deleted and, with ``on_replace``, after a save replaced it."""
    uid = f"files-{model._meta.label}-{field_name}"

    def remember_stored_name(sender, instance, raw=False, **kwargs):
        if raw or instance.pk is None:
            return
        stored = sender._base_manager.filter(pk=instance.pk).values_list(field_name, flat=True).first()
        instance._stored_file_names = {**getattr(instance, "_stored_file_names", {}), field_name: stored}

    def delete_replaced(sender, instance, raw=False, **kwargs):
        old = getattr(instance, "_stored_file_names", {}).pop(field_name, None)
        current = getattr(instance, field_name)
        if not raw and old and old != current.name:
            transaction.on_commit(partial(current.storage.delete, old), robust=True)

    def delete_with_row(sender, instance, **kwargs):
        file = getattr(instance, field_name)
        if file and file.name:
            transaction.on_commit(partial(file.storage.delete, file.name), robust=True)

    post_delete.connect(delete_with_row, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
    if on_replace:
        pre_save.connect(remember_stored_name, sender=model, dispatch_uid=f"{uid}-remember", weak=False)
        post_save.connect(delete_replaced, sender=model, dispatch_uid=f"{uid}-replace", weak=False)
