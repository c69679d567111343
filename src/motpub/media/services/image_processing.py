"""The processing of one image, end to end, as run by a worker: the transcode's lease,
heartbeat and retry rules, with the image job table.

Every attempt writes under a new version prefix (`images/<id>/v<hex>/`); the image switches
to it in one transaction once every object is stored, and older versions are deleted after
that commit. The source is read from its private key and never copied where it is served.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from motpub.database import after_commit, unit_of_work
from motpub.imaging import ImageError, Processed, process
from motpub.imaging import CONTENT_TYPES as IMAGE_CONTENT_TYPES
from motpub.media.models.image import ImageStatus
from motpub.media.models.image_job import ImageJob
from motpub.media.services.images import owner_of
from motpub.media.services.jobs import (
    claim_job, fail_attempt, finish_job, owned_image_job)
from motpub.media.services.messages import log_message
from motpub.media.services.transcoding import Heartbeat, JobLost, TranscodeOutcome, Worker
from motpub.storage import Storage, StorageError

log = logging.getLogger(__name__)


def process_image(worker: Worker, job_id: int, *,
                  on_ready: Callable[[int], None] | None = None) -> TranscodeOutcome:
    """Run one attempt of an image job. `on_ready(image_id)` runs after the commit that
    switched the image to its new version (to make its objects public, on S3)."""
    with unit_of_work(worker.session_factory) as session:
        if not claim_job(session, job_id, worker.worker_id, lease_s=worker.lease_s,
                         table=ImageJob):
            return TranscodeOutcome.LOST
        job = owned_image_job(session, job_id, worker.worker_id)
        assert job is not None  # claimed just now, in this transaction
        image_id, source_key = job.image_id, job.image.source_key
        job.image.status = ImageStatus.PROCESSING
    prefix = f"images/{image_id}/v{secrets.token_hex(6)}/"
    try:
        with Heartbeat(worker, job_id, ImageJob) as heartbeat:
            processed = _make(worker, heartbeat, source_key, prefix)
            if heartbeat.is_lost:
                raise JobLost(f"job {job_id} was taken over")
        return _publish(worker, job_id, prefix, processed, on_ready)
    except JobLost:
        worker.storage.delete_prefix(prefix)
        return TranscodeOutcome.LOST
    except ImageError as error:
        worker.storage.delete_prefix(prefix)
        return _record_failure(worker, job_id, log_message(error.code, error.params),
                               error.code, error.params, is_final=True)
    except Exception as error:  # recorded on the job row, then retried or failed for good
        log.exception("image job %s failed", job_id)
        worker.storage.delete_prefix(prefix)
        reason = "storage_failed" if isinstance(error, StorageError) else "processing_failed"
        return _record_failure(worker, job_id, repr(error), reason, {}, is_final=False)


def _make(worker: Worker, heartbeat: Heartbeat, source_key: str, prefix: str) -> Processed:
    with tempfile.TemporaryDirectory(prefix="motpub-image-") as tmp, \
            worker.storage.local_path(source_key) as source:
        heartbeat.stage = "decode"
        out = Path(tmp) / "out"
        processed = process(source, out, max_pixels=worker.max_image_pixels)
        heartbeat.stage, heartbeat.progress = "upload", 0.8
        for path in processed.files:
            worker.storage.put_file(prefix + path.as_posix(), out / path,
                                    content_type=IMAGE_CONTENT_TYPES.get(path.suffix))
        heartbeat.progress = 0.99
        return processed


def _publish(worker: Worker, job_id: int, prefix: str, processed: Processed,
             on_ready: Callable[[int], None] | None) -> TranscodeOutcome:
    with unit_of_work(worker.session_factory) as session:
        job = owned_image_job(session, job_id, worker.worker_id)
        if job is None:
            raise JobLost(f"job {job_id} was taken over")
        image = job.image
        image.version = prefix
        image.width, image.height = processed.width, processed.height
        image.derivatives = [
            {"width": d.width, "height": d.height, "format": d.format,
             "key": prefix + d.path.as_posix(), "bytes": d.bytes}
            for d in processed.derivatives]
        image.placeholder, image.color = processed.placeholder, processed.color
        image.tiles_key = prefix + processed.tiles.as_posix() if processed.tiles else None
        image.status = ImageStatus.READY
        image.error_code = image.error_args = None
        owner_of(image).touch()  # cached pages of the item are stale now
        finish_job(job)
        image_id = image.id
        after_commit(session, lambda: _delete_other_versions(worker.storage, prefix))
        if on_ready is not None:
            after_commit(session, lambda: on_ready(image_id))
    return TranscodeOutcome.READY


def _delete_other_versions(storage: Storage, current: str) -> None:
    image_prefix = current.rstrip("/").rsplit("/", 1)[0] + "/"
    versions = {key[len(image_prefix):].split("/", 1)[0]
                for key in storage.list_keys(image_prefix)}
    for version in versions:
        if version.startswith("v") and f"{image_prefix}{version}/" != current:
            storage.delete_prefix(f"{image_prefix}{version}/")


def _record_failure(worker: Worker, job_id: int, detail: str, reason: str,
                    reason_args: dict[str, Any], *, is_final: bool) -> TranscodeOutcome:
    with unit_of_work(worker.session_factory) as session:
        job = owned_image_job(session, job_id, worker.worker_id)
        if job is None:
            return TranscodeOutcome.LOST
        will_retry = fail_attempt(job, detail, is_final=is_final)
        image = job.image
        if will_retry:
            image.status = ImageStatus.QUEUED
        else:
            image.status = ImageStatus.FAILED
            image.error_code, image.error_args = reason, dict(reason_args)
    return TranscodeOutcome.RETRY if will_retry else TranscodeOutcome.FAILED
