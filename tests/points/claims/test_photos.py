"""Claim photos: told apart by their content, re-encoded as JPEG without any metadata,
turned the right way up, bombs and oversized files refused; the pixel hash recognises
the same picture however its metadata changed. Pure: no database, no Flask."""
import io
import struct
import zlib

import pytest
from PIL import Image

from points.claims import photos
from points.claims.errors import (PhotoNotImageError, PhotoTooLargeError,
                                  PhotoTooManyPixelsError)
from tests.points.claims.conftest import photo_bytes

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def exif_with_gps(orientation=None):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 39.0, 53.0), 3: "E", 4: (104.0, 4.0, 0.5)})
    return exif


def decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def huge_png(width, height):
    """A valid 1-bit PNG of ``width`` × ``height`` white pixels in a few kilobytes."""
    rows = (b"\x00" + b"\xff" * ((width + 7) // 8)) * height
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b""))


def test_a_jpeg_with_gps_comes_out_with_no_exif_or_any_metadata():
    raw = photo_bytes(exif=exif_with_gps(), comment=b"taken at home")
    assert b"Exif" in raw and Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)

    prepared = photos.prepare(raw)

    image = decoded(prepared.data)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(image.info)
    assert b"Exif" not in prepared.data and b"PhoneMaker" not in prepared.data
    assert b"taken at home" not in prepared.data


def test_a_png_named_jpg_is_taken_for_what_it_is():
    # The service never sees a file name or a Content-Type: only the bytes decide.
    raw = photo_bytes("PNG")

    prepared = photos.prepare(raw)

    assert decoded(prepared.data).format == "JPEG"
    assert (prepared.width, prepared.height) == (640, 480)


def test_a_webp_is_accepted():
    assert decoded(photos.prepare(photo_bytes("WEBP", quality=80)).data).format == "JPEG"


@pytest.mark.parametrize("raw", [
    b"this is a text file named photo.jpg\n" * 20,
    b"",
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG header and nothing after
    photo_bytes()[:2000],  # a JPEG cut off half-way
    photo_bytes("GIF"),  # a real image, of a kind not accepted
    photo_bytes("BMP"),
], ids=["text", "empty", "jpeg-header-only", "truncated-jpeg", "gif", "bmp"])
def test_anything_but_a_whole_jpeg_png_or_webp_is_refused(raw):
    with pytest.raises(PhotoNotImageError) as refused:
        photos.prepare(raw, number=2)
    assert refused.value.params["number"] == 2


def test_a_photo_over_8_mb_is_refused_before_decoding():
    raw = photo_bytes() + b"\x00" * (9 * photos.MB)

    with pytest.raises(PhotoTooLargeError) as refused:
        photos.prepare(raw)
    assert refused.value.params == {"number": 1, "limit": 8}


def test_exactly_8_mb_is_still_looked_at():
    raw = photo_bytes()
    padded = raw + b"\x00" * (photos.MAX_BYTES - len(raw))  # data after the JPEG's end

    assert decoded(photos.prepare(padded).data).size == (640, 480)


def test_a_decompression_bomb_over_our_pixel_cap_is_refused():
    raw = huge_png(8000, 6000)  # 48 MP in a few kilobytes
    assert len(raw) < 100_000

    with pytest.raises(PhotoTooManyPixelsError) as refused:
        photos.prepare(raw)
    assert refused.value.params["limit"] == 40


def test_a_bomb_beyond_pillows_own_limit_is_refused_too():
    with pytest.raises(PhotoTooManyPixelsError):
        photos.prepare(huge_png(20000, 10000))  # 200 MP: Pillow raises on open


def test_exif_orientation_is_applied_then_dropped():
    raw = photo_bytes(size=(600, 400), exif=exif_with_gps(orientation=6))  # 90° clockwise

    prepared = photos.prepare(raw)

    assert (prepared.width, prepared.height) == (400, 600)
    assert ORIENTATION not in decoded(prepared.data).getexif()


def test_big_photos_are_shrunk_to_2000_px():
    prepared = photos.prepare(photo_bytes(size=(4000, 3000), quality=70))

    assert (prepared.width, prepared.height) == (2000, 1500)
    assert decoded(prepared.data).size == (2000, 1500)


def test_transparent_parts_become_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 50, 100))
    out = io.BytesIO()
    image.save(out, format="PNG")

    pixels = decoded(photos.prepare(out.getvalue()).data)

    assert pixels.getpixel((90, 50)) == pytest.approx((255, 255, 255), abs=3)
    assert pixels.getpixel((10, 50))[2] > 240


def test_the_same_picture_with_changed_or_removed_exif_has_the_same_pixel_hash():
    plain = photos.prepare(photo_bytes(seed=1))
    with_gps = photos.prepare(photo_bytes(seed=1, exif=exif_with_gps()))

    assert with_gps.pixel_hash == plain.pixel_hash


def test_the_same_picture_saved_losslessly_in_another_format_has_the_same_pixel_hash():
    as_png = photos.prepare(photo_bytes("PNG", seed=3))
    as_webp = photos.prepare(photo_bytes("WEBP", seed=3, lossless=True))

    assert as_png.pixel_hash == as_webp.pixel_hash


def test_a_rotation_by_tag_matches_the_same_rotation_in_the_pixels():
    upright = Image.open(io.BytesIO(photo_bytes("PNG", size=(300, 200), seed=4)))
    tagged = io.BytesIO()
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    upright.save(tagged, format="PNG", exif=exif)
    turned = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_270).save(turned, format="PNG")

    assert photos.prepare(tagged.getvalue()).pixel_hash == photos.prepare(turned.getvalue()).pixel_hash


def test_different_pictures_have_different_pixel_hashes():
    one, other = photos.prepare(photo_bytes(seed=1)), photos.prepare(photo_bytes(seed=2))
    assert one.pixel_hash != other.pixel_hash


def test_stored_files_get_random_names_and_can_be_removed(tmp_path):
    directory = tmp_path / "uploads" / "claims"
    prepared = [photos.prepare(photo_bytes(seed=n)) for n in range(2)]

    keys = photos.store_all(directory, prepared)

    assert len(set(keys)) == 2 and all(photos.KEY_PATTERN.fullmatch(key) for key in keys)
    assert (directory / keys[0]).read_bytes() == prepared[0].data
    photos.remove(directory, keys)
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("key", ["../secret_key", "a.jpg", "", "0" * 32 + ".png"])
def test_a_key_that_is_not_ours_never_becomes_a_path(tmp_path, key):
    with pytest.raises(ValueError):
        photos.path_of(tmp_path, key)
