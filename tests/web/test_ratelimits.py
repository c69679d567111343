"""The SQLite rate-limit storage: one count for every process on the file, fixed windows."""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from motpub.config import Settings
from motpub.web import ratelimits  # noqa: F401  (registers sqlite://)


def test_two_storages_on_one_file_share_their_counts_and_windows_expire(tmp_path):
    url = f"sqlite:///{tmp_path / 'ratelimits.db'}"
    now = [1_800_000_000.0]
    first, second = (storage_from_string(url, clock=lambda: now[0]) for _n in range(2))
    limit = parse("3 per 1 second")
    limiters = [FixedWindowRateLimiter(first), FixedWindowRateLimiter(second)]
    allowed = [limiters[n % 2].hit(limit, "login", "1.2.3.4") for n in range(5)]
    assert allowed == [True, True, True, False, False]
    assert limiters[0].hit(limit, "login", "5.6.7.8"), "another client has its own count"
    now[0] += 1.1
    assert limiters[1].hit(limit, "login", "1.2.3.4"), "a new window starts afresh"
    assert second.get(limit.key_for("login", "1.2.3.4")) == 1
    first.reset()
    assert second.get(limit.key_for("login", "1.2.3.4")) == 0


def test_rate_limits_are_shared_by_default_in_the_data_folder_or_the_queues_redis(tmp_path):
    embedded = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path)})
    assert embedded.ratelimit_storage_url == f"sqlite:///{tmp_path / 'ratelimits.db'}"
    redis = Settings.from_env({"MOTPUB_DATA_DIR": str(tmp_path),
                               "MOTPUB_QUEUE_URL": "redis://127.0.0.1:6379/5"})
    assert redis.ratelimit_storage_url == "redis://127.0.0.1:6379/5"
