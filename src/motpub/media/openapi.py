"""The OpenAPI part for videos and audio guides: uploads, processing, captions."""

from __future__ import annotations

from motpub.media.services.captions import MAX_CAPTION_BYTES
from motpub.media.services.videos import MAX_PARTS
from motpub.openapi import _errors, _ITEM_ID, _json, _ok, _ref
from motpub.web.openapi_languages import LANGUAGE

_VIDEO_ID = {"name": "video_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def paths() -> dict:
    return {
        "/items/{item_id}/videos": {
            "get": {"summary": "The item's videos and audio guides", "parameters": [_ITEM_ID],
                    "responses": {**_ok("videos", {"type": "object", "properties": {
                        "videos": {"type": "array", "items": _ref("Video")}}}),
                        **_errors(401, 403, 404)}},
            "post": {"summary": "Start a resumable upload of a video or audio guide",
                     "parameters": [_ITEM_ID],
                     "requestBody": {"required": True, **_json(_ref("UploadRequest"))},
                     "responses": {**_ok("the upload plan", _ref("Upload"), "201"),
                                   **_errors(400, 401, 403, 404, 422)}},
        },
        "/videos/{video_id}": {
            "get": {"summary": "A video's status and renditions", "parameters": [_VIDEO_ID],
                    "responses": {**_ok("the video", _ref("Video")), **_errors(401, 403, 404)}},
            "delete": {"summary": "Delete a video and its files", "parameters": [_VIDEO_ID],
                       "responses": {"204": {"description": "deleted"},
                                     **_errors(401, 403, 404)}},
        },
        "/videos/{video_id}/parts": {
            "get": {"summary": "Parts received so far, to resume an upload",
                    "parameters": [_VIDEO_ID],
                    "responses": {**_ok("parts", {"type": "object", "properties": {
                        "parts": {"type": "array", "items": {"type": "object", "properties": {
                            "number": {"type": "integer"}, "etag": {"type": "string"},
                            "size_bytes": {"type": "integer"}}}}}}),
                        **_errors(401, 403, 404)}},
        },
        "/videos/{video_id}/parts/{number}": {
            "put": {"summary": "Upload one part (file storage); authorised by the signed URL",
                    "security": [],
                    "parameters": [_VIDEO_ID,
                                   {"name": "number", "in": "path", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "expires", "in": "query", "required": True,
                                    "schema": {"type": "integer"}},
                                   {"name": "signature", "in": "query", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {
                        "application/octet-stream": {}}},
                    "responses": {"200": {"description": "stored; the ETag header names it"},
                                  **_errors(401, 404, 413, 422, 503, 507)}},
        },
        "/videos/{video_id}/complete": {
            "post": {"summary": "Assemble the parts and queue the transcode",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, **_json({
                         "type": "object", "required": ["parts"], "properties": {
                             "parts": {"type": "array", "minItems": 1,
                                       "maxItems": MAX_PARTS, "items": {
                                 "type": "object", "required": ["number", "etag"],
                                 "properties": {"number": {"type": "integer", "minimum": 1,
                                                           "maximum": MAX_PARTS},
                                                "etag": {"type": "string",
                                                         "minLength": 1}}}}}})},
                     "responses": {**_ok("queued", _ref("Video"), "202"),
                                   # 507/503: the server's storage failed; completing again
                                   # goes on where the assembly stopped.
                                   **_errors(400, 401, 403, 404, 409, 422, 503, 507)}},
        },
        "/videos/{video_id}/retry": {
            "post": {"summary": "Transcode again", "parameters": [_VIDEO_ID],
                     "responses": {**_ok("queued", _ref("Video"), "202"),
                                   **_errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/replace": {
            "post": {"summary": "Upload a new file; the current one plays until it is ready",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, **_json(_ref("UploadRequest"))},
                     "responses": {**_ok("the upload plan", _ref("Upload"), "201"),
                                   **_errors(400, 401, 403, 404, 409, 422)}},
        },
        "/videos/{video_id}/upload": {
            "delete": {"summary": "Cancel the upload in progress; a replaced video goes back "
                                  "to its current file",
                       "parameters": [_VIDEO_ID],
                       "responses": {**_ok("the video as it is now", _ref("Video")),
                                     **_errors(401, 403, 404, 409)}},
        },
        "/videos/{video_id}/captions": {
            "post": {"summary": "Add or replace captions (SRT or WebVTT) in one language",
                     "parameters": [_VIDEO_ID],
                     "requestBody": {"required": True, "content": {"multipart/form-data": {
                         "schema": {"type": "object", "required": ["language", "file"],
                                    "properties": {
                                        "language": LANGUAGE,
                                        "file": {"type": "string", "format": "binary",
                                                 "description": "SRT or WebVTT in UTF-8, "
                                                 f"at most {MAX_CAPTION_BYTES} bytes"}}}}}},
                     "responses": {**_ok("the caption", {"type": "object", "properties": {
                         "language": {"type": "string"}, "url": {"type": "string"}}}, "201"),
                         **_errors(400, 401, 403, 404, 409, 413, 422)}},
        },
        "/videos/{video_id}/captions/{language}": {
            "delete": {"summary": "Remove the captions in one language",
                       "parameters": [_VIDEO_ID, {"name": "language", "in": "path",
                                                  "required": True,
                                                  "schema": LANGUAGE}],
                       "responses": {"204": {"description": "deleted"},
                                     **_errors(401, 403, 404)}},
        },
    }
