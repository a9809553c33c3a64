"""Sponsor logos: the upload checked and re-encoded by the shared picture pipeline (core.images)."""

from django.conf import settings

from core import images

BOX = images.Box(min_size=(32, 32), max_size=(800, 400), what="logo")


def clean_logo(upload):
    """Return the uploaded logo as a new WebP file without metadata; raise ImageRefused when it is refused."""
    if upload.size > settings.SPONSOR_LOGO_MAX_BYTES:
        raise images.too_large(settings.SPONSOR_LOGO_MAX_BYTES)
    if not upload.size:
        raise images.ImageRefused("The file is empty.")
    return images.reencode(upload, BOX)
