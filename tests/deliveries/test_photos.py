"""Handover photos (5.2.3, optional): real images only (checked by content), re-encoded without EXIF/GPS and
downscaled, at most 12 per delivery, served only to who may see the delivery, removable by the uploader or a manager
until the handover, audited; the page and the API."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries import services
from dealerdesk.deliveries.models import HandoverPhoto
from tests.deliveries.factories import booked, explained, prepared, signature_png, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


@pytest.fixture
def delivery(store_a, consultant, clerk):
    return prepared(store_a, consultant, clerk)


def image_bytes(fmt: str = "JPEG", size=(640, 480), color=(200, 30, 30), **save) -> bytes:
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb): refused before it is decoded."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    data[16:24] = struct.pack(">II", width, height)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR CRC over type + data
    return bytes(data)


def jpeg_with_gps(size=(640, 480)) -> bytes:
    """A phone photo: GPS position, camera make and the rotation (6 = turn 90° clockwise) in its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 48.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 12.0)
    return image_bytes("JPEG", size=size, exif=exif.tobytes())


def stored_image(photo: HandoverPhoto, thumbnail: bool = False) -> Image.Image:
    with (photo.thumbnail if thumbnail else photo.file).open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_a_photo_with_gps_is_stored_upright_without_exif_and_audited(store_a, consultant, delivery):
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file really carries a position
    created, refused = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("IMG_0001.JPG", jpeg_with_gps())], caption="车头"
    )
    assert refused == [] and len(created) == 1
    photo = HandoverPhoto.objects.get(pk=created[0].pk)
    image = stored_image(photo)
    assert image.format == "JPEG" and photo.content_type == "image/jpeg"
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and len(exif) == 0
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"TestPhone" not in photo.file.open("rb").read()
    # turned upright before the rotation tag was dropped: 640×480 lying on its side is 480×640
    assert (image.width, image.height) == (480, 640) == (photo.width, photo.height)
    assert max(stored_image(photo, thumbnail=True).size) <= services.THUMBNAIL_SIDE
    assert photo.caption == "车头" and photo.taken_by == consultant and photo.original_name == "IMG_0001.JPG"
    assert photo.file.name.startswith(f"deliveries/{delivery.pk}/photos/") and "IMG_0001" not in photo.file.name
    entry = AuditEntry.objects.get(action="delivery.photo_added")
    assert entry.target_id == str(delivery.pk) and entry.diff["photo"] == [None, photo.pk]
    assert entry.store_id == store_a.pk and entry.diff["sha256"][1] == photo.sha256


def test_bad_files_are_refused_one_by_one_and_the_good_ones_kept(consultant, delivery):
    oversize_file = upload("huge.jpg", b"\xff\xd8\xff" + b"0" * services.MAX_PHOTO_BYTES)
    truncated = image_bytes("JPEG", size=(800, 600))[:400]
    files = [
        upload("note.jpg", b"this is a text file, renamed"),
        upload("good.png", image_bytes("PNG")),
        oversize_file,
        upload("broken.jpg", truncated),
        upload("empty.jpg", b""),
        upload("good.webp", image_bytes("WEBP"), "image/webp"),
        upload("anim.gif", image_bytes("GIF"), "image/gif"),
        upload("bomb.png", png_claiming(20000, 20000), "image/png"),
    ]
    created, refused = services.photos_upload(actor=consultant, delivery=delivery, files=files)
    assert [p.original_name for p in created] == ["good.png", "good.webp"]
    assert [p.content_type for p in created] == ["image/png", "image/webp"]
    assert {r.name: r.code for r in refused} == {
        "note.jpg": "photo_not_image",
        "huge.jpg": "photo_too_large",
        "broken.jpg": "photo_not_image",
        "empty.jpg": "photo_empty",
        "anim.gif": "photo_not_image",
        "bomb.png": "photo_too_many_pixels",
    }
    assert all(r.name in r.detail for r in refused)  # the message names the file
    assert HandoverPhoto.objects.filter(delivery=delivery).count() == 2


def test_the_content_decides_not_the_name(consultant, delivery):
    created, _refused = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("looks-like.jpg", image_bytes("PNG"), "image/jpeg")]
    )
    assert created[0].content_type == "image/png" and created[0].file.name.endswith(".png")


def test_a_large_image_is_downscaled_to_2048_on_the_long_side(consultant, delivery):
    created, _refused = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("wide.png", image_bytes("PNG", size=(4000, 3000)))]
    )
    image = stored_image(created[0])
    assert image.size == (2048, 1536) and (created[0].width, created[0].height) == (2048, 1536)


def test_at_most_twelve_photos_per_delivery(consultant, delivery):
    services.photos_upload(
        actor=consultant,
        delivery=delivery,
        files=[upload(f"{i}.png", image_bytes("PNG", size=(8, 8))) for i in range(11)],
    )
    created, refused = services.photos_upload(
        actor=consultant,
        delivery=delivery,
        files=[upload("12.png", image_bytes("PNG")), upload("13.png", image_bytes("PNG"))],
    )
    assert [p.original_name for p in created] == ["12.png"]
    assert [(r.name, r.code) for r in refused] == [("13.png", "photo_limit")]
    assert HandoverPhoto.objects.filter(delivery=delivery).count() == services.MAX_PHOTOS


def test_photos_only_while_prepared_and_immutable_after_handover(client, store_a, consultant, clerk):
    scheduled = booked(store_a, consultant, when=slot(3, 10))
    with pytest.raises(services.TransitionRefused) as refused:
        services.photos_upload(actor=consultant, delivery=scheduled, files=[upload("a.png", image_bytes("PNG"))])
    assert refused.value.code == "photos_not_open"
    delivery = explained(store_a, consultant, clerk)
    created, _ = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("a.png", image_bytes("PNG"))]
    )
    client.force_login(consultant)
    response = client.post(
        reverse("delivery_confirm", args=[delivery.pk]),
        {"customer_name": delivery.customer.name, "signature": signature_png()},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "handed_over"
    # after the handover: no upload, no delete (not even by a manager), page and API alike
    response = client.post(
        reverse("delivery_photos", args=[delivery.pk]), {"files": [upload("b.png", image_bytes("PNG"))]}
    )
    assert response.status_code == 409
    with pytest.raises(services.TransitionRefused) as refused:
        services.photo_delete(actor=consultant, photo=created[0])
    assert refused.value.code == "photos_locked"
    page = client.get(reverse("delivery_detail", args=[delivery.pk])).content.decode()
    assert f'data-photo="{created[0].pk}"' in page and 'data-testid="photo-upload"' not in page
    assert f'data-testid="photo-delete-{created[0].pk}"' not in page
    assert HandoverPhoto.objects.filter(delivery=delivery).count() == 1


def test_upload_after_handover_refused_through_the_api(api, store_a, consultant, clerk, make_staff):
    delivery = explained(store_a, consultant, clerk)
    created, _ = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("a.png", image_bytes("PNG"))]
    )
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    api.force_authenticate(make_staff("sales_manager", store_a))
    url = f"/api/v1/deliveries/{delivery.pk}/photos/"
    response = api.post(url, {"files": [upload("b.png", image_bytes("PNG"))]}, format="multipart")
    assert response.status_code == 409 and response.json()["code"] == "photos_locked"
    response = api.delete(f"{url}{created[0].pk}/")
    assert response.status_code == 409 and response.json()["code"] == "photos_locked"
    assert api.get(url).json()[0]["id"] == created[0].pk  # still listed and served
    assert api.get(f"{url}{created[0].pk}/").status_code == 200


def test_delete_by_the_uploader_or_a_manager_only_audited(
    store_a, consultant, clerk, delivery, make_staff, django_capture_on_commit_callbacks
):
    created, _ = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload(f"{i}.png", image_bytes("PNG")) for i in range(2)]
    )
    first, second = created
    with pytest.raises(services.NotPermitted):  # the clerk did not upload it and is no manager
        services.photo_delete(actor=clerk, photo=first)
    names = [first.file.name, first.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(actor=consultant, photo=first)
    assert not any(default_storage.exists(n) for n in names)
    manager = make_staff("sales_manager", store_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(actor=manager, photo=second)
    assert not HandoverPhoto.objects.filter(delivery=delivery).exists()
    deleted = list(AuditEntry.objects.filter(action="delivery.photo_deleted").order_by("id"))
    assert [(e.actor_id, e.diff["photo"][0]) for e in deleted] == [(consultant.pk, first.pk), (manager.pk, second.pk)]


def test_the_page_uploads_shows_thumbnails_and_serves_only_in_scope(
    client, store_a, store_b, consultant, delivery, make_staff
):
    client.force_login(consultant)
    url = reverse("delivery_detail", args=[delivery.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="photo-upload"' in page and 'enctype="multipart/form-data"' in page
    response = client.post(
        reverse("delivery_photos", args=[delivery.pk]),
        {"files": [upload("gps.jpg", jpeg_with_gps()), upload("fake.jpg", b"plain text")], "caption": "交车合影"},
    )
    assert response.status_code == 302 and response["Location"] == url
    photo = HandoverPhoto.objects.get(delivery=delivery)
    page = client.get(url).content.decode()
    thumb_url = reverse("delivery_photo_thumbnail", args=[delivery.pk, photo.pk])
    photo_url = reverse("delivery_photo", args=[delivery.pk, photo.pk])
    assert thumb_url in page and photo_url in page and "fake.jpg" in page  # the refused file is named
    assert f'data-testid="photo-delete-{photo.pk}"' in page
    answer = client.get(photo_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert "private" in answer["Cache-Control"]
    served = Image.open(io.BytesIO(b"".join(answer.streaming_content)))
    assert not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert client.get(thumb_url)["Content-Type"] == "image/jpeg"
    # only text: 400 with the per-file message under the field, nothing kept
    response = client.post(reverse("delivery_photos", args=[delivery.pk]), {"files": [upload("x.jpg", b"nope")]})
    assert response.status_code == 400 and 'data-testid="error-files"' in response.content.decode()
    assert HandoverPhoto.objects.filter(delivery=delivery).count() == 1
    # another store's user: neither the photo nor the upload
    client.force_login(make_staff("store_admin", store_b))
    assert client.get(photo_url).status_code == 404 and client.get(thumb_url).status_code == 404
    response = client.post(
        reverse("delivery_photos", args=[delivery.pk]), {"files": [upload("y.png", image_bytes("PNG"))]}
    )
    assert response.status_code == 404
    # logged out: to the login page, never the file
    client.logout()
    assert client.get(photo_url).status_code == 302
    assert HandoverPhoto.objects.filter(delivery=delivery).count() == 1


def test_another_consultant_of_the_store_may_not_see_or_add(client, store_a, make_staff, delivery):
    other = make_staff("consultant", store_a)
    client.force_login(other)
    response = client.post(
        reverse("delivery_photos", args=[delivery.pk]), {"files": [upload("y.png", image_bytes("PNG"))]}
    )
    assert response.status_code == 404
    with pytest.raises(services.NotPermitted):
        services.photos_upload(actor=other, delivery=delivery, files=[upload("y.png", image_bytes("PNG"))])


def test_the_api_lists_uploads_serves_and_deletes(api, store_a, store_b, consultant, delivery, make_staff):
    api.force_authenticate(consultant)
    url = f"/api/v1/deliveries/{delivery.pk}/photos/"
    response = api.post(
        url,
        {
            "files": [
                upload("gps.jpg", jpeg_with_gps()),
                upload("readme.jpg", b"text"),
                upload("p.webp", image_bytes("WEBP")),
            ],
            "caption": "左前",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [p["original_name"] for p in body["photos"]] == ["gps.jpg", "p.webp"]
    assert body["rejected"] == [
        {"name": "readme.jpg", "code": "photo_not_image", "detail": body["rejected"][0]["detail"]}
    ]
    listed = api.get(url).json()
    assert [p["id"] for p in listed] == [p["id"] for p in body["photos"]] and listed[0]["caption"] == "左前"
    first = listed[0]
    answer = api.get(first["url"])
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    served = Image.open(io.BytesIO(b"".join(answer.streaming_content)))
    assert len(served.getexif()) == 0
    assert api.get(first["thumbnail_url"]).status_code == 200
    # nothing good: 400 with every reason
    response = api.post(url, {"files": [upload("a.jpg", b"text")]}, format="multipart")
    assert response.status_code == 400 and response.json()["rejected"][0]["code"] == "photo_not_image"
    response = api.post(url, {"caption": "x"}, format="multipart")
    assert response.status_code == 400 and "files" in response.json()
    # another store's user: 404 for the list, the upload and the file
    api.force_authenticate(make_staff("store_admin", store_b))
    assert api.get(url).status_code == 404
    assert api.get(first["url"]).status_code == 404
    response = api.post(url, {"files": [upload("b.png", image_bytes("PNG"))]}, format="multipart")
    assert response.status_code == 404
    assert api.delete(first["url"]).status_code == 404
    # the uploader removes it
    api.force_authenticate(consultant)
    assert api.delete(first["url"]).status_code == 204
    assert [p["id"] for p in api.get(url).json()] == [body["photos"][1]["id"]]


def test_the_access_export_lists_the_photos_and_erasure_removes_them(
    store_a, make_staff, consultant, delivery, django_capture_on_commit_callbacks
):
    from dealerdesk.customers.privacy import customer_data, customer_erase

    created, _ = services.photos_upload(
        actor=consultant, delivery=delivery, files=[upload("合影.jpg", image_bytes())], caption="交车合影"
    )
    photo = created[0]
    listed = customer_data(delivery.customer)["delivery_photos"]
    assert [(p["caption"], p["sha256"], p["delivery_number"]) for p in listed] == [
        ("交车合影", photo.sha256, delivery.number)
    ]
    names = [photo.file.name, photo.thumbnail.name]
    assert all(default_storage.exists(n) for n in names)
    # the photo may show the person: it goes with the erasure, the delivery record stays under the legal hold
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(actor=make_staff("sales_manager", store_a), customer=delivery.customer, reason="删除请求 #7")
    assert not HandoverPhoto.objects.filter(delivery=delivery).exists()
    assert not any(default_storage.exists(n) for n in names)
    delivery.refresh_from_db()
    assert delivery.number
