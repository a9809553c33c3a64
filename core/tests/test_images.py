"""The picture checks' small parts, asked directly: sizes in words, the refusal, the box, the colour mode kept."""

import io

import pytest
from PIL import Image

from core.images import Box, ImageRefused, _box_for, _in_rgb, human_bytes, reencode, too_large


def test_sizes_in_words():
    assert [human_bytes(count) for count in (0, 1000, 1024, 1536, 300 * 1024, 5 * 1024 * 1024)] == [
        "0 bytes",
        "1,000 bytes",
        "1 KiB",
        "1,536 bytes",
        "300 KiB",
        "5 MiB",
    ]


def test_too_large_is_a_413_that_says_the_limit():
    refusal = too_large(5 * 1024 * 1024)
    message = "The image is too large: at most 5 MiB are accepted."
    assert (str(refusal), refusal.message, refusal.status) == (message, message, 413)


def test_a_picture_stored_turned_a_quarter_is_shrunk_into_the_box_turned_too():
    assert [_box_for((1920, 1080), orientation) for orientation in (1, 3, 6, 8)] == [
        (1920, 1080),
        (1920, 1080),
        (1080, 1920),
        (1080, 1920),
    ]


def with_alpha(mode, alpha):
    image = Image.new("RGBA", (2, 1), (10, 20, 30, 255))
    image.putpixel((1, 0), (10, 20, 30, alpha))
    return image.convert(mode)


def test_transparency_used_is_kept_and_none_other():
    modes = {
        "grey": Image.new("L", (2, 1), 128),
        "opaque": Image.new("RGB", (2, 1), (1, 2, 3)),
        "opaque with alpha": with_alpha("RGBA", 255),
        "see-through": with_alpha("RGBA", 0),
        "grey see-through": with_alpha("LA", 0),
        "palette see-through": with_alpha("PA", 0),
    }
    assert {name: _in_rgb(image).mode for name, image in modes.items()} == {
        "grey": "RGB",
        "opaque": "RGB",
        "opaque with alpha": "RGB",
        "see-through": "RGBA",
        "grey see-through": "RGBA",
        "palette see-through": "RGBA",
    }


def png(width, height):
    upload = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(upload, format="PNG")
    upload.seek(5)  # wherever a caller left it: the checks read from the start
    return upload


@pytest.mark.parametrize("limit", ["IMAGE_MAX_PIXELS", "IMAGE_MAX_DECODED_PIXELS"])
def test_a_picture_of_exactly_the_pixel_limit_is_taken_and_one_pixel_more_refused(settings, limit):
    setattr(settings, limit, 20 * 10)
    box = Box(min_size=(5, 5), max_size=(40, 40))
    assert Image.open(reencode(png(20, 10), box)).size == (20, 10)
    with pytest.raises(ImageRefused, match="too many pixels"):
        reencode(png(21, 10), box)


def test_a_picture_of_exactly_the_smallest_size_is_taken():
    box = Box(min_size=(20, 10), max_size=(40, 40), what="background")
    assert Image.open(reencode(png(20, 10), box)).size == (20, 10)
    for width, height in ((19, 10), (20, 9)):
        with pytest.raises(ImageRefused, match=rf"at least 20 x 10 pixels \(this one is {width} x {height}\)"):
            reencode(png(width, height), box)


def jpeg_turned_a_quarter(width, height):
    """A JPEG stored width x height whose EXIF says: turn it a quarter to show it upright (orientation 6)."""
    upload = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (width, height), (40, 90, 160)).save(upload, format="JPEG", exif=exif)
    upload.seek(0)
    return upload


def test_a_large_jpeg_is_decoded_only_as_large_as_the_box_turned_as_it_will_be_shown(settings):
    # Stored 220 x 400, shown 400 x 220 in a 192 x 108 box: the stored picture must cover 108 x 192, which
    # half its size does (110 x 200 = 22,000 pixels decoded). Asked for the box unturned (192 x 108), the
    # decoder could not halve the width and would decode all 88,000.
    settings.IMAGE_MAX_PIXELS, settings.IMAGE_MAX_DECODED_PIXELS = 100_000, 30_000
    box = Box(min_size=(10, 10), max_size=(192, 108))
    assert Image.open(reencode(jpeg_turned_a_quarter(220, 400), box)).size == (192, 106)


def test_the_stored_picture_is_the_upload_shrunk_with_lanczos_and_saved_as_webp_at_quality_85():
    original = Image.effect_noise((90, 60), 64).convert("RGB")  # fine detail: the filters differ on it
    upload = io.BytesIO()
    original.save(upload, format="PNG")
    expected = io.BytesIO()
    shrunk = original.copy()
    shrunk.thumbnail((45, 45), Image.Resampling.LANCZOS)
    shrunk.save(expected, format="WEBP", quality=85)

    stored = reencode(upload, Box(min_size=(10, 10), max_size=(45, 45)))

    assert (shrunk.size, stored.read()) == ((45, 30), expected.getvalue())
