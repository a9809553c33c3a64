"""QR codes of order positions: inline SVG made by segno (no image request, nothing inline to run)."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(data, *, title):
    """Return an inline <svg> QR code holding ``data``, safe to put in a template."""
    code = segno.make(data, error="m", micro=False)
    # segno escapes the title; the path data is its own. A quiet zone of 4 modules, as scanners expect.
    return mark_safe(
        code.svg_inline(scale=4, border=4, omitsize=True, title=title, svgclass="qr-code", dark="#000", light="#fff")
    )
