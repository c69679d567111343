"""The OpenAPI part for videos and audio guides: uploads, processing, captions."""

from __future__ import annotations

from motpub.web.openapi_languages import LANGUAGE
from motpub.media.services.audio_tracks import AudioTrackUpload
from motpub.media.services.captions import CaptionUpload
from motpub.media.services.images import ImagePatch, ImageUploadRequest
from motpub.media.services.videos import CompletedUpload, UploadRequest
from motpub.media import representations as out
from motpub.web.openapi_common import (
    body, errors, inline_schema, json_content, ok, path_parameter, ref, schemas_of)

_ITEM_ID = path_parameter("item_id")
_VIDEO_ID = path_parameter("video_id")
_IMAGE_ID = path_parameter("image_id")
_EXHIBITION_ID = path_parameter("exhibition_id")


def schemas() -> dict:
    return schemas_of(UploadRequest, out.Upload, out.Video, out.VideoList, out.PartList,
                      out.CaptionLink, out.AudioTrack, out.AudioTrackList,
                      ImageUploadRequest, ImagePatch, out.ImageUpload, out.Image, out.ImageList)


def _image_owner_paths(owner: str, parameter: dict) -> dict:
    return {
        "get": {"summary": f"The {owner}'s images, in gallery order", "parameters": [parameter],
                "responses": {**ok("images", ref("ImageList")), **errors(401, 403, 404)}},
        "post": {"summary": f"Start a resumable upload of an image of the {owner} (the "
                            "videos' part protocol)",
                 "parameters": [parameter], "requestBody": body(ImageUploadRequest),
                 "responses": {**ok("the upload plan", ref("ImageUpload"), "201"),
                               **errors(400, 401, 403, 404, 422)}},
    }



def _part_paths(kind: str, id_parameter: dict) -> dict:
    """The part routes of a resumable upload (media.parts), the same for videos and images."""
    return {
        f"/{kind}s/{{{kind}_id}}/parts": {
            "get": {"summary": "Parts received so far, to resume an upload",
                    "parameters": [id_parameter],
                    "responses": {**ok("parts", ref("PartList")), **errors(401, 403, 404)}},
        },
        f"/{kind}s/{{{kind}_id}}/parts/{{number}}": {
            "put": {"summary": "Upload one part (file storage); authorised by the signed URL",
                    "security": [],
                    "parameters": [id_parameter,
                                   {"name": "number", "in": "path", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "expires", "in": "query", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "signature", "in": "query", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {
                        "application/octet-stream": {}}},
                    "responses": {"200": {"description": "stored; the ETag header names it"},
                                  **errors(401, 404, 413, 422, 503, 507)}},
        },
    }

def image_paths() -> dict:
    return {
        "/items/{item_id}/images": _image_owner_paths("item", _ITEM_ID),
        "/exhibitions/{exhibition_id}/images": _image_owner_paths("exhibition",
                                                                  _EXHIBITION_ID),
        "/images/{image_id}": {
            "get": {"summary": "An image's status, texts and URLs", "parameters": [_IMAGE_ID],
                    "responses": {**ok("the image", ref("Image")), **errors(401, 403, 404)}},
            "patch": {"summary": "Change an image's alt text, caption, credit or position",
                      "parameters": [_IMAGE_ID], "requestBody": body(ImagePatch),
                      "responses": {**ok("the image", ref("Image")),
                                    **errors(400, 401, 403, 404, 422)}},
            "delete": {"summary": "Delete an image and its files", "parameters": [_IMAGE_ID],
                       "responses": {"204": {"description": "deleted"},
                                     **errors(401, 403, 404)}},
        },
        **_part_paths("image", _IMAGE_ID),
        "/images/{image_id}/complete": {
            "post": {"summary": "Assemble the parts and queue the image's processing",
                     "parameters": [_IMAGE_ID],
                     "requestBody": {"required": True,
                                     **json_content(inline_schema(CompletedUpload))},
                     "responses": {**ok("queued", ref("Image"), "202"),
                                   **errors(400, 401, 403, 404, 409, 422, 503, 507)}},
        },
    }


def paths() -> dict:
    return {
        **image_paths(),
        "/items/{item_id}/videos": {
            "get": {"summary": "The item's videos and audio guides", "parameters": [_ITEM_ID],
                    "responses": {**ok("videos", ref("VideoList")), **errors(401, 403, 404)}},
            "post": {"summary": "Start a resumable upload of a video or audio guide",
                     "parameters": [_ITEM_ID],
                     "requestBody": body(UploadRequest),
                     "responses": {**ok("the upload plan", ref("Upload"), "201"),
                                   **errors(400, 401, 403, 404, 422)}},
        },
        "/videos/{video_id}": {
            "get": {"summary": "A video's status and renditions", "parameters": [_VIDEO_ID],
                    "responses": {**ok("the video", ref("Video")), **errors(401, 403, 404)}},
            "delete": {"summary": "Delete a video and its files", "parameters": [_VIDEO_ID],
                       "responses": {"204": {"description": "deleted"},
                                     **errors(401, 403, 404)}},
        },
        **_part_paths("video", _VIDEO_ID),
        "/videos/{video_id}/complete": {
            "post": {"summary": "Assemble the parts and queue the transcode",
                     "parameters": [_VIDEO_ID],
                     # Inline, so the limits on parts read where they apply.
                     "requestBody": {"required": True,
                                     **json_content(inline_schema(CompletedUpload))},
                     "responses": {**ok("queued", ref("Video"), "202"),
                                   # 507/503: the server's storage failed; completing again
                                   # goes on where the assembly stopped.
                                   **errors(400, 401, 403, 404, 409, 422, 503, 507)}},
        },
        "/videos/{video_id}/retry": {
            "post": {"summary": "Transcode again", "parameters": [_VIDEO_ID],
                     "responses": {**ok("queued", ref("Video"), "202"),
                                   **errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/replace": {
            "post": {"summary": "Upload a new file; the current one plays until it is ready",
                     "parameters": [_VIDEO_ID],
                     "requestBody": body(UploadRequest),
                     "responses": {**ok("the upload plan", ref("Upload"), "201"),
                                   **errors(400, 401, 403, 404, 409, 422)}},
        },
        "/videos/{video_id}/upload": {
            "delete": {"summary": "Cancel the upload in progress; a replaced video goes back "
                                  "to its current file",
                       "parameters": [_VIDEO_ID],
                       "responses": {**ok("the video as it is now", ref("Video")),
                                     **errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/captions": {
            "post": {"summary": "Add or replace captions (SRT or WebVTT) in one language",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, "content": {"multipart/form-data": {
                         "schema": inline_schema(CaptionUpload)}}},
                     "responses": {**ok("the caption", ref("CaptionLink"), "201"),
                         **errors(400, 401, 403, 404, 409, 413, 422)}},
        },
        "/videos/{video_id}/captions/{language}": {
            "delete": {"summary": "Remove the captions in one language",
                       "parameters": [_VIDEO_ID, {"name": "language", "in": "path",
                                                  "required": True,
                                                  "schema": LANGUAGE}],
                       "responses": {"204": {"description": "deleted"},
                                     **errors(401, 403, 404)}},
        },
        "/videos/{video_id}/audio-tracks": {
            "get": {"summary": "The video's dubs: its sound in other languages",
                    "parameters": [_VIDEO_ID],
                    "responses": {**ok("dubs", ref("AudioTrackList")),
                                  **errors(401, 403, 404)}},
            "post": {"summary": "Add or replace the dub in one language (an audio file as long "
                                "as the video); a worker encodes it, the video is not encoded "
                                "again",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, "content": {"multipart/form-data": {
                         "schema": inline_schema(AudioTrackUpload)}}},
                     "responses": {**ok("queued", ref("AudioTrack"), "202"),
                                   **errors(400, 401, 403, 404, 409, 413, 422, 503, 507)}},
        },
        "/videos/{video_id}/audio-tracks/{language}": {
            "delete": {"summary": "Remove the dub in one language",
                       "parameters": [_VIDEO_ID, {"name": "language", "in": "path",
                                                  "required": True,
                                                  "schema": LANGUAGE}],
                       "responses": {"204": {"description": "deleted"},
                                     **errors(401, 403, 404)}},
        },
    }
