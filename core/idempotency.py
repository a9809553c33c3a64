"""Idempotency keys: a POST repeated with the same ``Idempotency-Key`` gets the first answer, not a second object.

A client that lost the answer to a POST (a timeout, a dropped connection)
sends it again with the same key. Keys are per user and kept for 24 hours:

- the first request with a key runs, and its answer, if successful (2xx), is
  stored with the key in the same transaction as the work it did;
- a repeat with the same body gets that stored answer (``Idempotent-Replayed: true``);
- a repeat with another body (or to another URL) is refused with 422;
- a repeat arriving while the first is still running waits for it (the key's
  row is inserted first, so the database's unique index holds the repeat
  until the first commits) and then gets its answer;
- an answer that was an error is not stored: the repeat runs again.

``@idempotent`` wraps any DRF view method; ``IdempotentCreateMixin`` applies it
to a viewset's ``create``. Anonymous requests and requests without the header
run as usual.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
REPLAYED_HEADERS = ("ETag", "Location")
IN_PROGRESS = 0
BAD_KEY = f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters."
KEY_REUSED = f"This {HEADER} was used for another request in the last 24 hours; use a new key for a new request."


def fingerprint(request):
    """Return a digest of what makes two requests the same: method, path and body (parsed, keys sorted)."""
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body: every value of every field, files by their bytes
        data = {name: [_comparable(value) for value in values] for name, values in data.lists()}
    body = json.dumps(data, cls=JSONEncoder, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _comparable(value):
    """Return a value as the fingerprint sees it: an uploaded file by its name and the sha256 of its bytes."""
    if not hasattr(value, "chunks"):
        return value
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)
    return f"file {value.name} sha256:{digest.hexdigest()}"


def valid_key(key):
    return 0 < len(key) <= MAX_LENGTH and key.isascii() and key.isprintable()


def _claim(user, key, digest):
    """Insert the key's row (waiting for a concurrent holder of the key) or return the stored one.

    Returns (row, created). Call inside a transaction: the new row commits
    or rolls back with the work.
    """
    while True:
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=user, key=key, fingerprint=digest, status=IN_PROGRESS)
                return row, True
        except IntegrityError:
            pass
        stored = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if stored is None:
            continue  # its holder rolled back or it was just forgotten: try again
        if stored.created_at > timezone.now() - KEEP_FOR:
            return stored, False
        stored.delete()  # forgotten after 24 hours: the key starts afresh


def _replay(stored):
    response = Response(json.loads(stored.body) if stored.body else None, status=stored.status)
    for name, value in stored.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _store(row, response, secret_fields=()):
    data = response.data
    if secret_fields and isinstance(data, dict):
        # A secret shown once is not kept beside the key: the replay carries null in its place.
        data = {name: None if name in secret_fields else value for name, value in data.items()}
    row.status = response.status_code
    row.body = json.dumps(data, cls=JSONEncoder) if data is not None else ""
    row.headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    row.save(update_fields=["status", "body", "headers"])


def idempotent(view_method=None, *, secret_fields=()):
    """Make a DRF view method answer a repeated ``Idempotency-Key`` with its first answer (see the module).

    ``@idempotent`` or ``@idempotent(secret_fields=("key",))``: fields of the
    answer that are shown once (a token's key) are not stored; a replay
    carries null for them.
    """
    if view_method is None:
        return functools.partial(idempotent, secret_fields=tuple(secret_fields))

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if not valid_key(key):
            return Response({"detail": BAD_KEY, "code": "invalid_idempotency_key"}, status=status.HTTP_400_BAD_REQUEST)
        digest = fingerprint(request)
        with transaction.atomic():
            row, created = _claim(request.user, key, digest)
            if not created:
                if row.fingerprint != digest:
                    return Response(
                        {"detail": KEY_REUSED, "code": "idempotency_key_reused"},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                return _replay(row)
            response = view_method(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                _store(row, response, secret_fields)
            else:
                transaction.set_rollback(True)  # an error is not remembered: a repeat runs again
        return response

    wrapper.idempotent = True
    return wrapper


class IdempotentCreateMixin:
    """A viewset whose POST (create) honours ``Idempotency-Key``; put it before the viewset base."""

    idempotent_methods = ("POST",)

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


def forget_old_keys(*, now=None):
    """Delete the keys older than 24 hours (they are ignored anyway); return how many went."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=now - KEEP_FOR).delete()
    return deleted
