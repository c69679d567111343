"""The WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from motpub.app import create_app
from motpub.config import settings_or_exit

# A malformed setting ends the worker with gunicorn's "worker failed to boot" status (3), so
# the arbiter stops with the one line said instead of starting workers again and again.
app = create_app(settings_or_exit(exit_status=3))
