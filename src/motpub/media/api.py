from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, jsonify, request, url_for

from motpub.media.models.video import AudioTrack, Video
from motpub.media.services import (
    audio_tracks as audio_track_service, captions as caption_service, videos as video_service)
from motpub.errors import Invalid, NotFound
from motpub.items.services.items import get_item
from motpub.media.services.messages import messages
from motpub.i18n import own_name
from motpub.accounts.access import can_edit, requires
from motpub.media import parts, representations as out
from motpub.web.audiences import api_blueprint
from motpub.web.guards import json_body
from motpub.inputs import parse
from motpub.web.context import db, runtime, settings
from motpub.media.public import media_url_for

bp = api_blueprint("media_api", __name__)


def video_json(video: Video) -> dict:
    url = media_url_for(video.item)  # signed and short-lived while the item is a draft
    return out.Video(**{
        "id": video.id,
        "video_id": video.id,
        "item_id": video.item_id,
        "kind": video.kind.value,
        "language": video.language,
        "status": video.status.value,
        "progress": round(video.progress or 0.0, 4),
        # Both keyed by content language, each rendered from the stored message id.
        "error": messages(video.error_code, video.error_args) if video.error_code else None,
        "notice": (messages(*notice) if (notice := video_service.kind_notice(video)) else None),
        "filename": video.filename,
        "size_bytes": video.size_bytes,
        "duration_s": video.duration_s,
        "width": video.width,
        "height": video.height,
        "renditions": [{"name": r.name, "width": r.width, "height": r.height,
                        "bandwidth": r.bandwidth, "average_bandwidth": r.average_bandwidth,
                        "codecs": r.codecs} for r in video.renditions],
        "hls_url": url(video.master_key) if video.master_key else None,
        "preview_url": url(video.preview_key) if video.preview_key else None,
        "poster_url": url(video.poster_key) if video.poster_key else None,
        "captions": [{"language": c.language, "url": url(c.vtt_key)}
                     for c in video.captions],
        "audio_tracks": [audio_track_json(track) for track in video.audio_tracks],
    }).model_dump()


def audio_track_json(track: AudioTrack) -> dict:
    return out.AudioTrack(
        language=track.language, name=own_name(track.language), status=track.status.value,
        duration_s=track.duration_s,
        error=messages(track.error_code, track.error_args) if track.error_code else None,
    ).model_dump()


def app_part_url(video: Video, number: int) -> str:
    """A presigned URL of our own, for storage that cannot take parts directly (files)."""
    expires = parts.expiry()
    path = url_for("media_api.put_part", video_id=video.id, number=number, expires=expires,
                   signature=parts.signature("", video, number, expires))
    return settings().public_url + path


def upload_json(video: Video, plan: video_service.UploadPlan) -> dict:
    return out.Upload(**{
        "video_id": video.id,
        "status": video.status.value,
        "upload": {
            "part_size_bytes": plan.part_size_bytes,
            "parts": [{"number": number, "url": url} for number, url in plan.parts],
            "complete_url": settings().public_url
            + url_for("media_api.complete_upload", video_id=video.id),
        },
    }).model_dump()


@bp.post("/items/<int:item_id>/videos")
@requires(can_edit)
def create_video(item_id: int):
    item = get_item(db(), item_id)
    data = parse(video_service.UploadRequest, json_body())
    video, plan = video_service.request_upload(
        db(), runtime().storage, item, data, max_bytes=settings().max_upload_bytes,
        app_part_url=app_part_url)
    return jsonify(upload_json(video, plan)), 201


@bp.get("/items/<int:item_id>/videos")
@requires(can_edit)
def list_videos(item_id: int):
    item = get_item(db(), item_id)
    videos = db().query(Video).filter(Video.item_id == item.id).order_by(Video.id).all()
    return jsonify(out.VideoList(videos=[video_json(video) for video in videos]).model_dump())


@bp.put("/videos/<int:video_id>/parts/<int:number>")
def put_part(video_id: int, number: int):
    """The file backend's part endpoint: authorised by the signature in its URL."""
    return parts.receive_part("", db().get(Video, video_id), f"video {video_id}",
                              number)


@bp.get("/videos/<int:video_id>/parts")
@requires(can_edit)
def list_parts(video_id: int):
    return parts.received_parts(video_service.get_video(db(), video_id))


@bp.post("/videos/<int:video_id>/complete")
@requires(can_edit)
def complete_upload(video_id: int):
    video = video_service.get_video(db(), video_id)
    data = parse(video_service.CompletedUpload, json_body())
    video_service.complete_upload(db(), runtime().storage, video, data,
                                  enqueue_transcode=runtime().tasks.transcode_video)
    return jsonify(video_json(video)), 202


@bp.get("/videos/<int:video_id>")
@requires(can_edit)
def get_video(video_id: int):
    return jsonify(video_json(video_service.get_video(db(), video_id)))


@bp.post("/videos/<int:video_id>/retry")
@requires(can_edit)
def retry_video(video_id: int):
    video = video_service.get_video(db(), video_id)
    video_service.retry_video(db(), video, enqueue_transcode=runtime().tasks.transcode_video)
    return jsonify(video_json(video)), 202


@bp.post("/videos/<int:video_id>/replace")
@requires(can_edit)
def replace_video(video_id: int):
    """Upload a new file for this video; visitors keep the current one until it is ready."""
    video = video_service.get_video(db(), video_id)
    data = parse(video_service.UploadRequest, json_body())
    plan = video_service.restart_upload(
        db(), runtime().storage, video, data, max_bytes=settings().max_upload_bytes,
        app_part_url=app_part_url)
    return jsonify(upload_json(video, plan)), 201


@bp.delete("/videos/<int:video_id>/upload")
@requires(can_edit)
def cancel_upload(video_id: int):
    """Stop the upload in progress; a replaced video goes back to its current file."""
    video = video_service.get_video(db(), video_id)
    video_service.cancel_upload(db(), runtime().storage, video)
    return jsonify(video_json(video))


@bp.delete("/videos/<int:video_id>")
@requires(can_edit)
def delete_video(video_id: int):
    video = video_service.get_video(db(), video_id)
    video_service.delete_video(db(), runtime().storage, video)
    return Response(status=204)


@bp.post("/videos/<int:video_id>/captions")
@requires(can_edit)
def add_caption(video_id: int):
    video = video_service.get_video(db(), video_id)
    request.max_content_length = caption_service.MAX_CAPTION_BYTES + 64 * 1024
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send a multipart form with the fields language and file", field="file")
    form = parse(caption_service.CaptionUpload, {
        "language": request.form.get("language"),
        "file": upload.read(caption_service.MAX_CAPTION_BYTES + 1)})
    caption = caption_service.add_caption(db(), runtime().storage, video, form)
    link = out.CaptionLink(language=caption.language,
                           url=media_url_for(video.item)(caption.vtt_key))
    return jsonify(link.model_dump()), 201


@bp.delete("/videos/<int:video_id>/captions/<language>")
@requires(can_edit)
def delete_caption(video_id: int, language: str):
    video = video_service.get_video(db(), video_id)
    if not caption_service.delete_caption(db(), runtime().storage, video, language):
        raise NotFound(f"video {video_id} has no {language} caption")
    return Response(status=204)


@bp.get("/videos/<int:video_id>/audio-tracks")
@requires(can_edit)
def list_audio_tracks(video_id: int):
    video = video_service.get_video(db(), video_id)
    return jsonify(out.AudioTrackList(audio_tracks=[
        audio_track_json(track) for track in video.audio_tracks]).model_dump())


@bp.post("/videos/<int:video_id>/audio-tracks")
@requires(can_edit)
def add_audio_track(video_id: int):
    """Add or replace the dub in one language: checked now, encoded by a worker."""
    video = video_service.get_video(db(), video_id)
    request.max_content_length = audio_track_service.MAX_AUDIO_TRACK_BYTES + 64 * 1024
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send a multipart form with the fields language and file", field="file")
    form = parse(audio_track_service.AudioTrackLanguage,
                 {"language": request.form.get("language")})
    with tempfile.TemporaryDirectory(prefix="motpub-dub-") as folder:
        path = Path(folder) / "dub"
        upload.save(path)
        track = audio_track_service.add_audio_track(
            db(), runtime().storage, video, form.language, path, upload.filename or "dub",
            enqueue_transcode=runtime().tasks.transcode_video)
    return jsonify(audio_track_json(track)), 202


@bp.delete("/videos/<int:video_id>/audio-tracks/<language>")
@requires(can_edit)
def delete_audio_track(video_id: int, language: str):
    video = video_service.get_video(db(), video_id)
    if not audio_track_service.delete_audio_track(db(), runtime().storage, video, language):
        raise NotFound(f"video {video_id} has no {language} dub")
    return Response(status=204)
