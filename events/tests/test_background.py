"""Background images through both doors: what is accepted, how it is stored, what is refused and how."""

import base64
import io
import random
import re
import struct
import warnings
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events.models import Event
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"backgrounds/[0-9a-f]{32}\.webp")
NOT_ACCEPTED = {"detail": "The file is not a JPEG, PNG or WebP image."}
TOO_MANY_PIXELS = {"detail": "The image has too many pixels: at most 40,000,000 are accepted."}
RED, BLUE = (255, 0, 0), (0, 0, 255)
COLOURS = {"red": RED, "blue": BLUE, "black": (0, 0, 0), "white": (255, 255, 255)}


def image_bytes(fmt="PNG", size=(980, 490), *, mode="RGB", halves=(RED, BLUE), **save_options):
    """Return an image file in memory: left half one colour, right half another."""
    image = Image.new(mode, size, halves[0])
    image.paste(halves[1], (size[0] // 2, 0, size[0], size[1]))
    output = io.BytesIO()
    image.save(output, fmt, **save_options)
    return output.getvalue()


def colour_at(image, xy):
    """Return the name of the colour nearest the pixel (lossy WebP is off by a few levels)."""
    pixel = image.convert("RGB").getpixel(xy)
    return min(COLOURS, key=lambda name: sum(abs(a - b) for a, b in zip(pixel, COLOURS[name], strict=True)))


def exif(**tags):
    data = Image.Exif()
    for tag, value in tags.items():
        data[getattr(Image.ExifTags.Base, tag)] = value
    return data.tobytes()


def png_claiming(width, height):
    """Return a tiny PNG whose header claims width x height (its pixel data is for 1 x 1)."""
    data = bytearray(image_bytes("PNG", (1, 1)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def file(content, name="background.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def data_url(content, media_type="image/png"):
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def stored_files():
    return sorted(default_storage.listdir("backgrounds")[1]) if default_storage.exists("backgrounds") else []


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture(params=["session", "token"])
def post(request, event, client, api_for):
    """Return a function that POSTs to the one endpoint as the organizer: by session (as the cropper) or token.

    It sends a dict as multipart form data, or bytes as they are with the content type given.
    """
    url = f"/api/v1/events/{event.pk}/background/"
    if request.param == "session":
        client.force_login(event.created_by)
        sender = client
    else:
        sender = api_for(event.created_by)

    def send(data, content_type=None):
        if isinstance(data, bytes):
            return sender.generic("POST", url, data, content_type=content_type)
        return sender.post(url, data, format="multipart") if request.param == "token" else sender.post(url, data)

    return send


def assert_refused(response, status, body, event):
    assert (response.status_code, response.json()) == (status, body)
    assert Event.objects.get(pk=event.pk).background.name == ""
    assert stored_files() == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_background_accepted_is_reencoded_without_metadata(post, event, fmt):
    original = image_bytes(fmt, (2400, 1200), exif=exif(Make="Spy Camera", Artist="Somebody"))
    assert Image.open(io.BytesIO(original)).getexif() != {}

    response = post({"background": file(original, name="holiday-photo.png")})

    event.refresh_from_db()
    assert STORED_NAME.fullmatch(event.background.name)
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "background_url": f"/media/{event.background.name}"},
    )
    assert stored_files() == [event.background.name.removeprefix("backgrounds/")]
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert (image.format, image.size, image.mode) == ("WEBP", (1960, 980), "RGB")
        assert image.getexif() == {}
        assert image.info.keys() <= {"loop", "background"}  # WebP defaults, no "exif", "icc_profile", "xmp"


def test_background_exif_orientation_is_applied(post, event):
    # Orientation 6: the camera was turned; the picture shows upright after a quarter turn clockwise.
    sideways = image_bytes("JPEG", (1000, 500), exif=exif(Orientation=6), quality=95)

    assert post({"background": file(sideways, "photo.jpg", "image/jpeg")}).status_code == 200

    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert image.size == (490, 980)
        assert image.getexif() == {}
        # The left (red) half of the sensor is now the top, the right (blue) half the bottom.
        assert (colour_at(image, (245, 100)), colour_at(image, (245, 880))) == ("red", "blue")


def test_background_transparency_is_kept(post, event):
    see_through = image_bytes("PNG", mode="RGBA", halves=((0, 0, 0, 0), (0, 0, 255, 255)))
    assert post({"background": file(see_through)}).status_code == 200

    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert (image.mode, image.size) == ("RGBA", (980, 490))
        assert image.getpixel((10, 10))[3] == 0


def test_background_with_an_alpha_channel_it_does_not_use_is_stored_without_one(post, event):
    opaque = image_bytes("PNG", mode="RGBA", halves=((255, 0, 0, 255), (0, 0, 255, 255)))
    assert post({"background": file(opaque)}).status_code == 200

    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert (image.mode, image.size) == ("RGB", (980, 490))


def test_background_palette_transparency_is_kept(post, event):
    palette = Image.new("P", (980, 490), 0)
    palette.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    palette.paste(1, (490, 0, 980, 490))
    output = io.BytesIO()
    palette.save(output, "PNG", transparency=0)  # colour 0 (the left half) is see-through
    assert post({"background": file(output.getvalue())}).status_code == 200

    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert image.mode == "RGBA"
        assert (image.getpixel((10, 10))[3], image.getpixel((900, 10))[3]) == (0, 255)


def test_background_animated_image_keeps_the_first_frame(post, event):
    frames = [Image.new("RGB", (980, 490), colour) for colour in (RED, BLUE)]
    output = io.BytesIO()
    frames[0].save(output, "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)

    assert post({"background": file(output.getvalue(), "moving.webp", "image/webp")}).status_code == 200

    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert (getattr(image, "n_frames", 1), colour_at(image, (10, 10))) == (1, "red")


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (image_bytes("GIF"), "background.gif", "image/gif"),
        (image_bytes("BMP"), "background.bmp", "image/bmp"),
        (b"Just some text, no picture.\n" * 100, "notes.txt", "text/plain"),
        # The name and the MIME type count for nothing.
        (b"Just some text, no picture.\n" * 100, "background.png", "image/png"),
        (image_bytes("GIF"), "background.jpg", "image/jpeg"),
    ],
)
def test_background_other_files_are_refused(post, event, content, name, content_type):
    response = post({"background": file(content, name, content_type)})
    assert_refused(response, 400, NOT_ACCEPTED, event)


def test_background_png_named_jpg_is_taken_for_its_content(post, event):
    response = post({"background": file(image_bytes("PNG"), "background.jpg", "image/jpeg")})
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.background.name.endswith(".webp")


def test_background_too_small_is_refused(post, event):
    response = post({"background": file(image_bytes("PNG", (489, 300)))})
    message = "The image is too small: it must be at least 490 x 245 pixels (this one is 489 x 300)."
    assert_refused(response, 400, {"detail": message}, event)


def test_background_too_small_counts_the_orientation(post, event):
    # 1000 x 300 on the sensor, 300 x 1000 upright: too narrow.
    sideways = image_bytes("JPEG", (1000, 300), exif=exif(Orientation=8))
    response = post({"background": file(sideways, "photo.jpg", "image/jpeg")})
    message = "The image is too small: it must be at least 490 x 245 pixels (this one is 300 x 1000)."
    assert_refused(response, 400, {"detail": message}, event)


def test_background_too_many_pixels_is_refused_from_the_header(post, event):
    # 7000 x 6000 is 42 megapixels, over the limit but under Pillow's own bomb
    # check. The pixel data is missing, so only a check of the header can say
    # "too many pixels" rather than "damaged".
    response = post({"background": file(png_claiming(7000, 6000))})
    assert_refused(response, 400, TOO_MANY_PIXELS, event)


def test_background_lowered_pixel_limit_applies(post, event, settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    response = post({"background": file(image_bytes("PNG", (1500, 700)))})
    body = {"detail": "The image has too many pixels: at most 1,000,000 are accepted."}
    assert_refused(response, 400, body, event)


@pytest.mark.parametrize("side", [10_000, 20_000])
@pytest.mark.parametrize("warnings_are", ["errors", "ignored"])
def test_background_decompression_bomb_is_400(post, event, side, warnings_are):
    # Pillow warns over 89 megapixels and raises over twice that; our header limit answers the same
    # whether its warning is an error (as in this suite) or ignored (as in production).
    with warnings.catch_warnings():
        if warnings_are == "ignored":
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        response = post({"background": file(png_claiming(side, side))})
    assert_refused(response, 400, TOO_MANY_PIXELS, event)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_background_decoded_whole_over_the_decoding_limit_is_refused_before_decoding(post, event, fmt):
    # Under the header limit (40 MP) but over what may be decoded whole (12 MP): PNG and WebP
    # cannot be decoded reduced, so the picture is refused before its pixels are.
    response = post({"background": file(image_bytes(fmt, (5000, 3000)), content_type=f"image/{fmt.lower()}")})
    body = {"detail": "The image has too many pixels: at most 12,000,000 are accepted."}
    assert_refused(response, 400, body, event)


def test_background_large_jpeg_is_decoded_reduced(post, event):
    # 15 MP of JPEG decode at a quarter of their size (Pillow's draft mode): accepted, fitted to the box.
    response = post({"background": file(image_bytes("JPEG", (5000, 3000)), "big.jpg", "image/jpeg")})
    assert response.status_code == 200
    event.refresh_from_db()
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert image.size == (1633, 980)


def test_background_truncated_file_is_refused(post, event):
    whole = image_bytes("JPEG", (1200, 600))
    response = post({"background": file(whole[: len(whole) // 2], "cut.jpg", "image/jpeg")})
    body = {"detail": "The image could not be decoded: the file is damaged or incomplete."}
    assert_refused(response, 400, body, event)


def test_background_png_with_broken_checksum_is_refused(post, event):
    broken = bytearray(image_bytes("PNG"))
    broken[-20] ^= 0xFF  # inside the last IDAT chunk
    response = post({"background": file(bytes(broken))})
    body = {"detail": "The image could not be decoded: the file is damaged or incomplete."}
    assert_refused(response, 400, body, event)


def test_background_empty_or_missing_is_refused(post, event):
    missing = 'No image: send a file in the field "background" or a data: URL in "background_data".'
    body = {"detail": missing}
    assert_refused(post({}), 400, body, event)
    assert_refused(post({"background_data": ""}), 400, body, event)
    assert_refused(post({"background": file(b"")}), 400, {"detail": "The file is empty."}, event)


def test_background_over_the_byte_limit_is_413(post, event, settings):
    settings.BACKGROUND_MAX_BYTES = 10 * 1024
    noise = Image.frombytes("RGB", (150, 100), random.Random(1).randbytes(150 * 100 * 3))
    output = io.BytesIO()
    noise.save(output, "PNG")
    assert 10 * 1024 < len(output.getvalue()) < 64 * 1024  # under the body limit: the file's own size counts
    response = post({"background": file(output.getvalue())})
    body = {"detail": "The image is too large: at most 10 KiB are accepted."}
    assert_refused(response, 413, body, event)


def test_background_oversized_body_is_413_before_it_is_read(post, event, settings):
    settings.BACKGROUND_MAX_BYTES = 10 * 1024
    # Not even valid multipart: reading it would be a 400; its length alone answers first.
    response = post(b"x" * 100_000, content_type="multipart/form-data; boundary=nothing")
    body = {"detail": "The image is too large: at most 10 KiB are accepted."}
    assert_refused(response, 413, body, event)


def test_background_body_django_refuses_is_json_413(post, event, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post({"background_data": data_url(image_bytes("PNG"))})
    body = {"detail": "The image is too large: at most 5 MiB are accepted."}
    assert_refused(response, 413, body, event)


def test_background_urlencoded_body_django_refuses_is_json_413(client, event, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(event.created_by)
    response = client.post(
        f"/api/v1/events/{event.pk}/background/",
        f"background_data={data_url(image_bytes('PNG'))}",
        content_type="application/x-www-form-urlencoded",
    )
    body = {"detail": "The image is too large: at most 5 MiB are accepted."}
    assert_refused(response, 413, body, event)


def test_background_data_url_is_accepted(post, event):
    # Line breaks inside the base64 are allowed, as in MIME.
    text = data_url(image_bytes("JPEG", (1200, 600)), "image/jpeg")
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))

    response = post({"background_data": wrapped})

    event.refresh_from_db()
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "background_url": f"/media/{event.background.name}"},
    )
    with default_storage.open(event.background.name) as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", (1200, 600))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("data:image/png;base64,iVBORw0KGgo$$$$", '"background_data" is not valid base64.'),
        ("data:image/png;base64,iVBORw0KGgoAA", '"background_data" is not valid base64.'),
        ("data:image/png;base64,", "The file is empty."),
        ("data:image/png,notbase64", '"background_data" is not a base64 data: URL.'),
        ("https://example.com/picture.png", '"background_data" is not a base64 data: URL.'),
        (data_url(b"GIF89a" + b"\0" * 64, "image/gif"), NOT_ACCEPTED["detail"]),
    ],
)
def test_background_bad_data_url_is_refused(post, event, text, error):
    assert_refused(post({"background_data": text}), 400, {"detail": error}, event)


@pytest.mark.parametrize(("decodes_at_once", "slots"), [(2, 2), (0, 1)])
def test_decoding_slots_are_as_many_as_configured_and_at_least_one(settings, monkeypatch, decodes_at_once, slots):
    from core import images

    settings.IMAGE_DECODES_AT_ONCE, settings.IMAGE_DECODE_WAIT_SECONDS = decodes_at_once, 0
    monkeypatch.setattr(images, "_slots", None)  # made on first use from the settings
    held = [images.decoding_slot() for _ in range(slots)]
    for slot in held:
        slot.__enter__()
    try:
        with pytest.raises(images.ImageRefused) as refused, images.decoding_slot():
            pass
        assert (refused.value.status, refused.value.message) == (503, images.BUSY)
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
