"""The API of images: the videos' resumable upload protocol, then status, alt text, captions,
credit, order and deletion."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify, url_for

from motpub.accounts.access import can_edit, requires
from motpub.exhibitions.services.exhibitions import get_exhibition
from motpub.inputs import parse
from motpub.items.services.items import get_item
from motpub.media import parts, representations as out
from motpub.media.models.image import Image
from motpub.media.public import media_url_for
from motpub.media.services import images as image_service
from motpub.media.services.messages import messages
from motpub.media.services.uploads import CompletedUpload, UploadPlan
from motpub.web.audiences import api_blueprint
from motpub.web.context import db, runtime, settings
from motpub.web.guards import json_body

bp = api_blueprint("media_images_api", __name__)


def _url_for(image: Image) -> Callable[[str], str]:
    if image.item is not None:
        return media_url_for(image.item)  # signed and short-lived while the item is a draft
    return runtime().storage.url  # an exhibition's page, and its pictures, are public


def image_json(image: Image) -> dict:
    return _image(image).model_dump()


def _image(image: Image) -> out.Image:
    url = _url_for(image)
    by_format: dict[str, dict[str, str]] = {"avif": {}, "webp": {}, "jpeg": {}}
    for derivative in image.derivatives or []:
        by_format[derivative["format"]][str(derivative["width"])] = url(derivative["key"])
    return out.Image(
        id=image.id, image_id=image.id, item_id=image.item_id,
        exhibition_id=image.exhibition_id, status=image.status.value,
        filename=image.filename, size_bytes=image.size_bytes, width=image.width,
        height=image.height, alt=dict(image.alt or {}), caption=dict(image.caption or {}),
        credit=image.credit or "", position=image.position,
        urls=out.ImageUrls(**by_format, placeholder=image.placeholder, color=image.color,
                           tiles=url(image.tiles_key) if image.tiles_key else None),
        error=messages(image.error_code, image.error_args) if image.error_code else None)


def app_part_url(image: Image, number: int) -> str:
    """A presigned URL of our own, for storage that cannot take parts directly (files)."""
    expires = parts.expiry()
    path = url_for("media_images_api.put_part", image_id=image.id, number=number,
                   expires=expires, signature=parts.signature("image:", image, number, expires))
    return settings().public_url + path


def upload_json(image: Image, plan: UploadPlan) -> dict:
    return out.ImageUpload(
        image_id=image.id, status=image.status.value,
        upload=out.UploadPlan(
            part_size_bytes=plan.part_size_bytes,
            parts=[out.PartUrl(number=number, url=url) for number, url in plan.parts],
            complete_url=settings().public_url
            + url_for("media_images_api.complete_upload", image_id=image.id)),
    ).model_dump()


def _create(owner) -> tuple[Response, int]:
    data = parse(image_service.ImageUploadRequest, json_body())
    image, plan = image_service.request_image_upload(
        db(), runtime().storage, owner, data, max_bytes=settings().max_image_bytes,
        app_part_url=app_part_url)
    return jsonify(upload_json(image, plan)), 201


def _list(owner) -> Response:
    return jsonify(out.ImageList(images=[
        _image(image) for image in image_service.images_of(db(), owner)]).model_dump())


@bp.post("/items/<int:item_id>/images")
@requires(can_edit)
def create_item_image(item_id: int):
    return _create(get_item(db(), item_id))


@bp.post("/exhibitions/<int:exhibition_id>/images")
@requires(can_edit)
def create_exhibition_image(exhibition_id: int):
    return _create(get_exhibition(db(), exhibition_id))


@bp.get("/items/<int:item_id>/images")
@requires(can_edit)
def list_item_images(item_id: int):
    return _list(get_item(db(), item_id))


@bp.get("/exhibitions/<int:exhibition_id>/images")
@requires(can_edit)
def list_exhibition_images(exhibition_id: int):
    return _list(get_exhibition(db(), exhibition_id))


@bp.put("/images/<int:image_id>/parts/<int:number>")
def put_part(image_id: int, number: int):
    """The file backend's part endpoint: authorised by the signature in its URL."""
    return parts.receive_part("image:", db().get(Image, image_id), f"image {image_id}",
                              number)


@bp.get("/images/<int:image_id>/parts")
@requires(can_edit)
def list_parts(image_id: int):
    return parts.received_parts(image_service.get_image(db(), image_id))


@bp.post("/images/<int:image_id>/complete")
@requires(can_edit)
def complete_upload(image_id: int):
    image = image_service.get_image(db(), image_id)
    data = parse(CompletedUpload, json_body())
    image_service.complete_image_upload(db(), runtime().storage, image, data,
                                        enqueue_image=runtime().tasks.process_image)
    return jsonify(image_json(image)), 202


@bp.get("/images/<int:image_id>")
@requires(can_edit)
def get_image(image_id: int):
    return jsonify(image_json(image_service.get_image(db(), image_id)))


@bp.patch("/images/<int:image_id>")
@requires(can_edit)
def update_image(image_id: int):
    image = image_service.get_image(db(), image_id)
    data = parse(image_service.ImagePatch, json_body())
    image_service.update_image(db(), image, data)
    return jsonify(image_json(image))


@bp.delete("/images/<int:image_id>")
@requires(can_edit)
def delete_image(image_id: int):
    image = image_service.get_image(db(), image_id)
    image_service.delete_image(db(), runtime().storage, image)
    return Response(status=204)
