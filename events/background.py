"""Background images: read one from a request and hand it to the shared picture pipeline (core.images).

Nothing here writes to the database or the storage (events.services does).
What is accepted and why is described in docs/background-image.md.
"""

import base64
import binascii
import re

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.files.base import ContentFile
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from core import images

# Stored images fit in this box (four times Croppie's viewport), and are at least the viewport.
BOX = images.Box(min_size=(490, 245), max_size=(1960, 980))
MIN_SIZE, MAX_SIZE = BOX.min_size, BOX.max_size
# Room for the multipart envelope and a CSRF field around the image.
BODY_OVERHEAD = 64 * 1024
DATA_URL = re.compile(r"data:(?:[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,(?P<payload>.*)", re.DOTALL)

# What Django raises when it will not read a request body (RequestDataTooBig
# is a SuspiciousOperation; a broken multipart body is neither).
BODY_ERRORS = (SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError)

EMPTY = "The file is empty."
MISSING = 'No image: send a file in the field "background" or a data: URL in "background_data".'
NOT_A_DATA_URL = '"background_data" is not a base64 data: URL.'
BAD_BASE64 = '"background_data" is not valid base64.'
UNREADABLE_BODY = "The request body could not be read."


class BackgroundError(images.ImageRefused):
    """A refused background request: its message is shown to the user as is."""

    def as_json(self):
        return {"detail": self.message}


def too_large():
    return BackgroundError(images.too_large(settings.BACKGROUND_MAX_BYTES).message, status=413)


def refuse_oversized_body(request):
    """Raise 413 when the declared body is larger than any acceptable image, before anything reads it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # A data: URL carries four characters for every three bytes.
    if length > settings.BACKGROUND_MAX_BYTES * 4 // 3 + BODY_OVERHEAD:
        raise too_large()


def refusal_of_body(error):
    """Return the BackgroundError that one of Django's BODY_ERRORS amounts to."""
    if isinstance(error, RequestDataTooBig):
        return too_large()
    return BackgroundError(UNREADABLE_BODY)


def upload_from(data, files):
    """Return the image of a form as a file: the upload ``background`` or the data: URL ``background_data``."""
    upload = files.get("background")
    if upload is not None:
        if upload.size > settings.BACKGROUND_MAX_BYTES:
            raise too_large()
        if not upload.size:
            raise BackgroundError(EMPTY)
        return upload
    text = data.get("background_data")
    if text:
        return ContentFile(decode_data_url(text), name="background")
    raise BackgroundError(MISSING)


def decode_data_url(text):
    """Return the bytes of a base64 ``data:`` URL (the original system's format)."""
    match = DATA_URL.fullmatch(text.strip())
    if match is None:
        raise BackgroundError(NOT_A_DATA_URL)
    payload = "".join(match["payload"].split())
    if len(payload) * 3 // 4 > settings.BACKGROUND_MAX_BYTES:
        raise too_large()
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BackgroundError(BAD_BASE64) from error
    if not raw:
        raise BackgroundError(EMPTY)
    return raw


def reencode(upload):
    """Return the upload as a new WebP background without metadata; raise BackgroundError when refused."""
    try:
        return images.reencode(upload, BOX)
    except images.ImageRefused as error:
        raise BackgroundError(error.message, status=error.status) from error
