# Production defaults for `gunicorn wsgi:app`; every value can be overridden on the command line.
import multiprocessing
import os

from motpub.config import settings_or_exit
from motpub.web.server import (access_log_format, flush_scans_on_exit, forget_exited_worker,
                               logger_class, prepare_metrics)

# A malformed setting stops gunicorn here, in one line (gunicorn lets SystemExit through).
_settings = settings_or_exit()
# With MOTPUB_METRICS_TOKEN set: PROMETHEUS_MULTIPROC_DIR (or MOTPUB_DATA_DIR/metrics),
# emptied now, before the workers fork, so a scrape adds up every worker.
prepare_metrics(_settings)

bind = os.environ.get("MOTPUB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("MOTPUB_WEB_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("MOTPUB_WEB_THREADS", 4))
worker_class = "gthread"
graceful_timeout = 20
accesslog = "-"
access_log_format = access_log_format(_settings.access_log_full)
logger_class = logger_class(_settings.log_format, _settings.access_log_full)
control_socket_disable = True
worker_exit = flush_scans_on_exit
child_exit = forget_exited_worker
