"""Background images: read one from a request, check it with Pillow, re-encode it.

Nothing here writes to the database or the storage (events.services does).
What is accepted and why is described in docs/background-image.md.
"""

import base64
import binascii
import io
import re
import struct
import uuid
import zlib
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.files.base import ContentFile
from django.http import UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MIN_SIZE = (490, 245)
# Stored images fit in this box (four times Croppie's viewport), keeping their aspect.
MAX_SIZE = (1960, 980)
# Pillow's names (a JPEG with extra pictures, as many phones write, opens as "MPO").
FORMATS = ("JPEG", "PNG", "WEBP")
OUTPUT_FORMAT, OUTPUT_EXTENSION, OUTPUT_QUALITY = "WEBP", "webp", 85
# Room for the multipart envelope and a CSRF field around the image.
BODY_OVERHEAD = 64 * 1024
DATA_URL = re.compile(r"data:(?:[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,(?P<payload>.*)", re.DOTALL)
# Orientations 5 to 8 turn the picture a quarter: its width is the stored height.
QUARTER_TURNS = {5, 6, 7, 8}

# What Pillow's decoders raise for a damaged or truncated file (the plugins
# are not consistent: OSError mostly, SyntaxError from verify(), the rest
# from headers that lie about their lengths).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)
# What Django raises when it will not read a request body (RequestDataTooBig
# is a SuspiciousOperation; a broken multipart body is neither).
BODY_ERRORS = (SuspiciousOperation, BadRequest, MultiPartParserError, UnreadablePostError)

NOT_ACCEPTED = "The file is not a JPEG, PNG or WebP image."
DAMAGED = "The image could not be decoded: the file is damaged or incomplete."
EMPTY = "The file is empty."
MISSING = 'No image: send a file in the field "background" or a data: URL in "background_data".'
NOT_A_DATA_URL = '"background_data" is not a base64 data: URL.'
BAD_BASE64 = '"background_data" is not valid base64.'
UNREADABLE_BODY = "The request body could not be read."


class BackgroundError(Exception):
    """A refused background request: its message is shown to the user as is."""

    def __init__(self, message, *, status=400):
        super().__init__(message)
        self.message, self.status = message, status

    def as_json(self):
        return {"status": "error", "error": self.message}


def human_bytes(count):
    """Return e.g. "5 MiB", "300 KiB" or "1,000 bytes"."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


def too_large():
    return BackgroundError(
        f"The image is too large: at most {human_bytes(settings.BACKGROUND_MAX_BYTES)} are accepted.", status=413
    )


def too_many_pixels():
    return BackgroundError(f"The image has too many pixels: at most {settings.BACKGROUND_MAX_PIXELS:,} are accepted.")


def too_small(width, height):
    return BackgroundError(
        f"The image is too small: it must be at least {MIN_SIZE[0]} x {MIN_SIZE[1]} pixels"
        f" (this one is {width} x {height})."
    )


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


@contextmanager
def pillow_errors_refused():
    """Turn what Pillow raises for a bad file into a BackgroundError (400)."""
    try:
        yield
    except UnidentifiedImageError as error:
        raise BackgroundError(NOT_ACCEPTED) from error
    # The warning arrives as an exception only where warnings are errors
    # (the tests); elsewhere it is printed and the pixel limit below refuses
    # the image, since BACKGROUND_MAX_PIXELS is under Pillow's own limit.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_many_pixels() from error
    except DECODE_ERRORS as error:
        raise BackgroundError(DAMAGED) from error


def reencode(upload):
    """Return the uploaded image as a new WebP file without metadata, under a generated name.

    Raises BackgroundError when the file is not an acceptable image.
    """
    with pillow_errors_refused():
        width, height = _checked_header(upload)
        image = _decoded(upload)
        try:
            orientation = image.getexif().get(ExifTags.Base.Orientation)
            upright = ImageOps.exif_transpose(image)
        finally:
            image.close()
    if orientation in QUARTER_TURNS:
        width, height = height, width
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise too_small(width, height)
    picture = _without_metadata(_fitted(upright))
    output = io.BytesIO()
    picture.save(output, format=OUTPUT_FORMAT, quality=OUTPUT_QUALITY)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{OUTPUT_EXTENSION}")


def _checked_header(upload):
    """Return the image's (width, height) from its header once its format, size and chunks check out."""
    upload.seek(0)
    with Image.open(upload, formats=FORMATS) as image:
        # Before a single pixel is decoded: the header alone can ask for gigabytes.
        if image.width * image.height > settings.BACKGROUND_MAX_PIXELS:
            raise too_many_pixels()
        size = image.size
        image.verify()
    return size


def _decoded(upload):
    """Return the image with its pixels loaded (the first frame of an animation)."""
    upload.seek(0)
    image = Image.open(upload, formats=FORMATS)
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size for almost
    # nothing; keep at least MAX_SIZE's width on both sides (either may end up the width).
    image.draft(None, (MAX_SIZE[0], MAX_SIZE[0]))
    image.load()
    return image


def _fitted(image):
    """Return the image in RGB (RGBA if it has transparency), shrunk to fit MAX_SIZE."""
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info
    image = image.convert("RGBA" if transparent else "RGB")
    if transparent and image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")
    image.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    return image


def _without_metadata(image):
    """Return a new image with the pixels only (no EXIF, ICC profile, XMP or text chunks)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())
