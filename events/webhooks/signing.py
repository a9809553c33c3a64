"""Signing secrets the Standard Webhooks way: ``whsec_`` + base64 of 24 to 64 random bytes.

A secret is shown once (when it is made) and stored encrypted (Fernet, with a
key derived from SECRET_KEY; SECRET_KEY_FALLBACKS still decrypt after a key
rotation): deliveries must be signed with it, so it cannot be hashed.
Signatures are HMAC-SHA256 over ``<webhook-id>.<webhook-timestamp>.<body>``.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac

PREFIX = "whsec_"
MIN_BYTES, MAX_BYTES, NEW_BYTES = 24, 64, 32
TOO_SHORT = (
    f"The secret is too short: it needs at least {MIN_BYTES} random bytes (whsec_ and 32 or more base64 characters)."
)
MALFORMED = "A secret is whsec_ followed by base64 (as `whsec_` + `openssl rand -base64 32`)."


def new_secret():
    """Return a fresh secret."""
    return PREFIX + base64.b64encode(secrets.token_bytes(NEW_BYTES)).decode()


def secret_bytes(secret):
    """Return the key bytes of a secret, or raise ValidationError (malformed, too short or too long)."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        raise ValidationError(MALFORMED, code="invalid")
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(MALFORMED, code="invalid") from None
    if len(key) < MIN_BYTES:
        raise ValidationError(TOO_SHORT, code="too_short")
    if len(key) > MAX_BYTES:
        raise ValidationError(f"The secret is too long: at most {MAX_BYTES} bytes.", code="too_long")
    return key


def _fernet():
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac("events.webhooks.secret", "", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def encrypt(secret):
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(box):
    """Return the secret kept in ``box``; raise ValueError when no key of this site opens it."""
    try:
        return _fernet().decrypt(box.encode()).decode()
    except InvalidToken as error:
        raise ValueError("The webhook secret cannot be decrypted with this site's keys.") from error


def signature(secret, message_id, timestamp, body):
    """Return ``v1,<base64 HMAC-SHA256>`` of one delivery (timestamp in whole seconds, body as sent)."""
    signed = f"{message_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_, message_id, timestamp, body):
    """Return the three Standard Webhooks headers; several secrets (during a rotation) sign side by side."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_),
    }
