"""The queue front door: tasks take IDs, and the worker is a command of the same app."""

from __future__ import annotations

from flask import Flask


def run_worker(app: Flask, *, workers: int) -> None:
    queue = app.extensions["motpub"].queue
    consumer = queue.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
