# Production defaults for `gunicorn wsgi:app`; every value can be overridden on the command line.
import multiprocessing
import os

from motpub.config import Settings
from motpub.web.server import access_log_format, flush_scans_on_exit

bind = os.environ.get("MOTPUB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("MOTPUB_WEB_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("MOTPUB_WEB_THREADS", 4))
worker_class = "gthread"
graceful_timeout = 20
accesslog = "-"
access_log_format = access_log_format(Settings.from_env().access_log_full)
control_socket_disable = True
worker_exit = flush_scans_on_exit
