"""The queue front door: thin tasks that take ids, and the worker, a command of the same app.

Tasks are registered on the app's queue by create_app, so the web process enqueues exactly
the tasks the worker runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import signal
import socket
import threading
import time

from flask import Flask

from motpub import metrics
from motpub.media.models.transcode_job import TranscodeJob
from motpub.database import unit_of_work
from motpub.logs import log_json
from motpub.queue import crontab, Task, Tasks
from motpub.media.services.access import sync_image_visibility
from motpub.media.services.image_processing import process_image
from motpub.media.services.jobs import image_jobs_to_requeue, jobs_to_requeue
from motpub.codes.services.label_jobs import (
    build_label_sheet, label_jobs_to_requeue, LabelOutcome, LabelWorker)
from motpub.analytics.services.rollups import roll_up_visits
from motpub.media.services.dubbing import run_transcode_job
from motpub.media.services.transcoding import TranscodeOutcome, Worker
from motpub.media.services.videos import abandon_uploads
from motpub.analytics.services.visitors import delete_old_salts

log = logging.getLogger(__name__)
# How long a job waits for ffmpeg to be installed before it is tried again.
MISSING_TOOL_RETRY_S = 300


def register_tasks(app: Flask) -> Tasks:
    runtime = app.extensions["motpub"]
    queue, settings = runtime.queue, runtime.settings

    def worker() -> Worker:
        return Worker(
            session_factory=runtime.session_factory, storage=runtime.storage,
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}",
            lease_s=settings.job_lease_s, max_media_seconds=settings.max_media_seconds,
            stall_timeout_s=settings.ffmpeg_stall_timeout_s,
            max_image_pixels=settings.max_image_pixels)

    @queue.task(name="transcode_video")
    def transcode_video_task(job_id: int) -> TranscodeOutcome:
        started = time.monotonic()
        outcome = run_transcode_job(worker(), job_id)  # a video's, or one of its dubs
        if outcome is TranscodeOutcome.READY and settings.metrics_token:
            with runtime.session_factory() as session:
                job = session.get(TranscodeJob, job_id)
                media_s = job.video.duration_s if job is not None else None
            metrics.transcode_finished(time.monotonic() - started, media_s)
        log.info("transcode job %s: %s", job_id, outcome)
        if outcome is TranscodeOutcome.RETRY:
            transcode_video_task.schedule((job_id,), delay=settings.job_retry_delay_s)
        elif outcome is TranscodeOutcome.POSTPONED:  # give the operator time to install a tool
            transcode_video_task.schedule((job_id,), delay=max(settings.job_retry_delay_s,
                                                               MISSING_TOOL_RETRY_S))
        return outcome

    def image_ready(image_id: int) -> None:  # its new objects were written private
        sync_image_visibility(runtime.storage, runtime.session_factory, [image_id])

    @queue.task(name="process_image")
    def process_image_task(job_id: int) -> TranscodeOutcome:
        outcome = process_image(worker(), job_id, on_ready=image_ready)
        log.info("image job %s: %s", job_id, outcome)
        if outcome is TranscodeOutcome.RETRY:
            process_image_task.schedule((job_id,), delay=settings.job_retry_delay_s)
        return outcome

    @queue.task(name="build_label_sheet")
    def build_label_sheet_task(job_id: int) -> LabelOutcome:
        outcome = build_label_sheet(LabelWorker(
            session_factory=runtime.session_factory, storage=runtime.storage,
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}",
            lease_s=settings.job_lease_s, public_url=settings.public_url,
            font_path=settings.cjk_font_path), job_id)
        log.info("label job %s: %s", job_id, outcome)
        if outcome is LabelOutcome.RETRY:
            build_label_sheet_task.schedule((job_id,), delay=settings.job_retry_delay_s)
        return outcome

    # Not a periodic task: huey's finest schedule is a minute, so a dead worker's job would
    # wait up to a minute past its lease. Each worker sweeps on its own timer (run_worker).
    @queue.task(name="sweep_jobs")
    def sweep_jobs() -> list[int]:
        with unit_of_work(runtime.session_factory) as session:
            job_ids = jobs_to_requeue(session, stale_queued_s=settings.job_lease_s * 5)
            label_job_ids = label_jobs_to_requeue(session,
                                                  stale_queued_s=settings.job_lease_s * 5)
            image_job_ids = image_jobs_to_requeue(session,
                                                  stale_queued_s=settings.job_lease_s * 5)
        for job_id in job_ids:
            transcode_video_task(job_id)
        for job_id in label_job_ids:
            build_label_sheet_task(job_id)
        for job_id in image_job_ids:
            process_image_task(job_id)
        return job_ids

    @queue.periodic_task(crontab(minute="17"), name="clean_uploads")
    def clean_uploads() -> int:
        with unit_of_work(runtime.session_factory) as session:
            return abandon_uploads(session, runtime.storage,
                                   older_than_s=settings.abandoned_upload_s)

    @queue.periodic_task(crontab(minute="5"), name="delete_old_salts")
    def delete_salts() -> int:
        with unit_of_work(runtime.session_factory) as session:
            return delete_old_salts(session, today=dt.datetime.now(dt.UTC).date())

    @queue.periodic_task(crontab(minute="*/5"), name="roll_up_visits")
    def roll_up_visits_task() -> int:
        return roll_up_visits(runtime.session_factory, now=dt.datetime.now(dt.UTC),
                              keep_days=settings.raw_event_days)

    return Tasks(transcode_video=transcode_video_task, sweep_jobs=sweep_jobs,
                 clean_uploads=clean_uploads, delete_salts=delete_salts,
                 roll_up_visits=roll_up_visits_task, build_label_sheet=build_label_sheet_task,
                 process_image=process_image_task)


def sweep_interval_s(lease_s: float) -> float:
    """How often a worker looks for jobs whose worker died: twice per lease, so a job waits
    at most about one and a half leases after its last heartbeat (between 1 s and a minute)."""
    return min(60.0, max(1.0, lease_s / 2))


def _sweep_forever(sweep_jobs: Task, interval_s: float, stop: threading.Event) -> None:
    while True:  # once at start, then every interval
        try:
            if job_ids := sweep_jobs.call_local():
                log.info("handed out again the jobs of a dead worker: %s", job_ids)
        except Exception:  # the database may be down for a while; the next sweep retries
            log.exception("sweeping the jobs of dead workers failed")
        if stop.wait(interval_s):
            return


def _exit_cleanly(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


def run_worker(app: Flask, *, workers: int) -> None:
    from motpub.jobs.scratch import use_scratch_folder

    # A SIGTERM before the consumer sets its own handlers still exits through the atexit
    # hooks, which remove the scratch folder made here.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    use_scratch_folder()
    runtime = app.extensions["motpub"]
    if runtime.settings.log_format == "json":
        log_json(("motpub", "huey"))
    consumer = runtime.queue.create_consumer(workers=workers, worker_type="thread",
                                             periodic=True)
    stop = threading.Event()
    sweeper = threading.Thread(
        target=_sweep_forever, name="sweep-jobs", daemon=True,
        args=(runtime.tasks.sweep_jobs, sweep_interval_s(runtime.settings.job_lease_s), stop))
    sweeper.start()
    try:
        consumer.run()
    finally:
        stop.set()
