"""Uploaded pictures: checked by Pillow, decoded within bounds, re-encoded without metadata.

Every picture a user uploads (event backgrounds, sponsor logos) goes through
``reencode()``: only JPEG, PNG and WebP (by content, never by name); a limit
on the pixels the header claims; a limit on the pixels actually decoded
(JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that is enough, with
Pillow's draft mode; PNG and WebP have to be decoded whole, so their
limit is what the decoded image may hold); one decode at a time per process
(a semaphore: a dozen parallel uploads wait instead of multiplying the
memory); the picture shrunk to its box before anything else is done to it;
and a new WebP file made of the pixels only (no EXIF, GPS, ICC, XMP or text).

Nothing here writes to the database or the storage.
"""

import io
import struct
import threading
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Pillow's names (a JPEG with extra pictures, as many phones write, opens as "MPO").
FORMATS = ("JPEG", "PNG", "WEBP")
OUTPUT_FORMAT, OUTPUT_EXTENSION, OUTPUT_QUALITY = "WEBP", "webp", 85
# Orientations 5 to 8 turn the picture a quarter: its width is the stored height.
QUARTER_TURNS = {5, 6, 7, 8}
# What Pillow's decoders raise for a damaged or truncated file (the plugins are not consistent).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)

NOT_ACCEPTED = "The file is not a JPEG, PNG or WebP image."
DAMAGED = "The image could not be decoded: the file is damaged or incomplete."
BUSY = "Too many images are being processed right now; try again in a few seconds."


class ImageRefused(Exception):
    """A refused picture: its message is shown to the user as is; ``status`` is the HTTP status it means."""

    def __init__(self, message, *, status=400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Box:
    """What one kind of picture must be: at least ``min_size``, stored within ``max_size`` (keeping its shape)."""

    min_size: tuple
    max_size: tuple
    what: str = "image"


def human_bytes(count):
    """Return e.g. "5 MiB", "300 KiB" or "1,000 bytes"."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


def too_large(limit):
    return ImageRefused(f"The image is too large: at most {human_bytes(limit)} are accepted.", status=413)


def too_many_pixels(limit):
    return ImageRefused(f"The image has too many pixels: at most {limit:,} are accepted.")


def _decoding_slots():
    return threading.BoundedSemaphore(max(1, settings.IMAGE_DECODES_AT_ONCE))


_slots = None
_slots_lock = threading.Lock()


@contextmanager
def decoding_slot():
    """Hold one of the process's decoding slots (IMAGE_DECODES_AT_ONCE); 503 when none frees up in time."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = _decoding_slots()
    if not _slots.acquire(timeout=settings.IMAGE_DECODE_WAIT_SECONDS):
        raise ImageRefused(BUSY, status=503)
    try:
        yield
    finally:
        _slots.release()


@contextmanager
def pillow_errors_refused():
    """Turn what Pillow raises for a bad file into an ImageRefused (400)."""
    try:
        yield
    except UnidentifiedImageError as error:
        raise ImageRefused(NOT_ACCEPTED) from error
    # Pillow's own bomb check: an error past twice its limit, a warning below that (see _open: the
    # pixel limits below refuse those files whether or not warnings are errors).
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_many_pixels(settings.IMAGE_MAX_PIXELS) from error
    except DECODE_ERRORS as error:
        raise ImageRefused(DAMAGED) from error


def reencode(upload, box):
    """Return the uploaded picture as a new WebP file without metadata, under a generated name.

    Raises ImageRefused when the file is not an acceptable picture for the box.
    """
    with decoding_slot(), pillow_errors_refused():
        width, height = _checked_header(upload)
        image = _decoded(upload, box)
        try:
            orientation = image.getexif().get(ExifTags.Base.Orientation)
            # Shrink first: every later step then works on at most the box's pixels.
            image.thumbnail(_box_for(box.max_size, orientation), Image.Resampling.LANCZOS)
            upright = ImageOps.exif_transpose(image)
        finally:
            image.close()
        if orientation in QUARTER_TURNS:
            width, height = height, width
        if width < box.min_size[0] or height < box.min_size[1]:
            raise ImageRefused(
                f"The {box.what} is too small: it must be at least {box.min_size[0]} x {box.min_size[1]} pixels"
                f" (this one is {width} x {height})."
            )
        picture = _without_metadata(_in_rgb(upright))
        output = io.BytesIO()
        picture.save(output, format=OUTPUT_FORMAT, quality=OUTPUT_QUALITY)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{OUTPUT_EXTENSION}")


def _box_for(max_size, orientation):
    # A picture stored turned a quarter is shrunk into the box turned the same way.
    return (max_size[1], max_size[0]) if orientation in QUARTER_TURNS else max_size


def _open(upload):
    image = Image.open(upload, formats=FORMATS)  # Pillow reads the file from its start, wherever it was left
    # Before a single pixel is decoded: the header alone can ask for gigabytes.
    if image.width * image.height > settings.IMAGE_MAX_PIXELS:
        image.close()
        raise too_many_pixels(settings.IMAGE_MAX_PIXELS)
    return image


def _checked_header(upload):
    """Return the picture's (width, height) from its header once its format, size and chunks check out."""
    with _open(upload) as image:
        size = image.size
        image.verify()
    return size


def _decoded(upload, box):
    """Return the picture with its pixels loaded (the first frame of an animation), decoded as small as will do."""
    image = _open(upload)
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size for almost nothing: as small as still covers
    # the box, turned as the picture will be once it is upright.
    image.draft(None, _box_for(box.max_size, image.getexif().get(ExifTags.Base.Orientation)))
    if image.width * image.height > settings.IMAGE_MAX_DECODED_PIXELS:
        image.close()
        raise too_many_pixels(settings.IMAGE_MAX_DECODED_PIXELS)
    image.load()
    return image


def _in_rgb(image):
    """Return the picture in RGB, or RGBA if it has transparency it uses."""
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info
    image = image.convert("RGBA" if transparent else "RGB")
    if transparent and image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")
    return image


def _without_metadata(image):
    """Return a new image with the pixels only (no EXIF, ICC profile, XMP or text chunks)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())
