"""Countries from a MaxMind-format database, written here by a small writer of the format
(MaxMind DB spec 2.0: a binary search tree over the address bits, a data section, metadata)."""

from __future__ import annotations

import ipaddress

import maxminddb
import pytest
from sqlalchemy import select

from motpub.app import create_app
from motpub.config import ConfigError, Settings
from motpub.analytics.models.scan import Scan
from motpub.analytics.services.visitors import country_lookup
from tests.factories import add_user, Api, IOS_WECHAT
from tests.support import make_settings


def _control(kind: int, size: int) -> bytes:
    assert size < 29
    if kind <= 7:
        return bytes([kind << 5 | size])
    return bytes([size, kind - 7])  # extended types: 0 in the top bits, the type after


def encode(value) -> bytes:
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, tuple):  # (bits, number): an unsigned integer of that width
        bits, number = value
        raw = number.to_bytes(bits // 8, "big").lstrip(b"\0")
        return _control({16: 5, 32: 6, 64: 9}[bits], len(raw)) + raw
    raise TypeError(value)


def write_mmdb(path, networks: dict[str, dict]) -> None:
    """An IPv4 database, 24-bit records, one record per network."""
    data, nodes = b"", [[None, None]]
    for network, record in networks.items():
        net = ipaddress.ip_network(network)
        bits = [(int(net.network_address) >> (31 - i)) & 1 for i in range(net.prefixlen)]
        node = 0
        for bit in bits[:-1]:
            if not (isinstance(nodes[node][bit], tuple) and nodes[node][bit][0] == "node"):
                nodes.append([None, None])
                nodes[node][bit] = ("node", len(nodes) - 1)
            node = nodes[node][bit][1]
        nodes[node][bits[-1]] = ("data", len(data))
        data += encode(record)
    count = len(nodes)

    def pointer(entry) -> int:
        if entry is None:
            return count  # no data
        return entry[1] if entry[0] == "node" else count + 16 + entry[1]

    tree = b"".join(pointer(left).to_bytes(3, "big") + pointer(right).to_bytes(3, "big")
                    for left, right in nodes)
    metadata = {"node_count": (32, count), "record_size": (16, 24), "ip_version": (16, 4),
                "database_type": "Test-Country", "languages": ["en"],
                "binary_format_major_version": (16, 2), "binary_format_minor_version": (16, 0),
                "build_epoch": (64, 1_700_000_000), "description": {"en": "test"}}
    path.write_bytes(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(metadata))


NETWORKS = {"81.2.69.0/24": {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}}},
            "10.0.0.0/8": {"registered_country": {"iso_code": "CN"}},
            "175.16.199.0/24": {"continent": {"code": "AS"}}}


@pytest.fixture
def geoip(tmp_path):
    path = tmp_path / "countries.mmdb"
    write_mmdb(path, NETWORKS)
    return path


def test_the_written_database_reads_back_with_the_maxmind_reader(geoip):
    with maxminddb.open_database(str(geoip)) as reader:
        assert reader.get("81.2.69.160")["country"]["iso_code"] == "GB"
        assert reader.get("8.8.8.8") is None
        assert reader.metadata().node_count > 24


def test_lookup_gives_iso_codes_and_empty_for_anything_else(geoip):
    country_of = country_lookup(geoip)
    assert country_of("81.2.69.160") == "GB"
    assert country_of("10.9.8.7") == "CN"  # falls back to the registered country
    assert country_of("175.16.199.1") == ""  # a record without a country
    assert country_of("8.8.8.8") == ""
    assert country_of("2001:db8::1") == ""  # IPv6 in an IPv4 database
    assert country_of("not an address") == ""


def test_scans_record_the_country_and_never_the_address(tmp_path, database_url, geoip):
    app = create_app(make_settings(tmp_path, database_url, geoip_path=geoip))
    client = app.test_client()
    api = Api(client, add_user(app, "editor@example.org", "editor"))
    _item, code = api.published_item_with_code(slug="ding")
    for address in ("81.2.69.160", "10.1.2.3", "8.8.8.8"):
        client.get(f"/s/{code}", headers={"User-Agent": IOS_WECHAT},
                   environ_base={"REMOTE_ADDR": address})
    runtime = app.extensions["motpub"]
    runtime.scan_recorder.flush()
    with runtime.session_factory() as session:
        rows = session.execute(select(Scan.country, Scan.referrer_host, Scan.visitor_hash)
                               .order_by(Scan.id)).all()
    assert [row.country for row in rows] == ["GB", "CN", ""]
    assert not any("81.2.69" in str(value) for row in rows for value in row)
    runtime.engine.dispose()


def test_a_missing_database_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"MOTPUB_GEOIP_PATH": str(tmp_path / "nope.mmdb")})
    assert "MOTPUB_GEOIP_PATH" in str(error.value)


def test_raw_event_days_must_be_at_least_two():
    assert Settings.from_env({}).raw_event_days == 90
    assert Settings.from_env({"MOTPUB_RAW_EVENT_DAYS": "30"}).raw_event_days == 30
    for bad in ("1", "ninety"):
        with pytest.raises(ConfigError) as error:
            Settings.from_env({"MOTPUB_RAW_EVENT_DAYS": bad})
        assert "MOTPUB_RAW_EVENT_DAYS" in str(error.value)

