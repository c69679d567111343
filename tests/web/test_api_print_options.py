from __future__ import annotations

import subprocess

import pytest


def zbar(path) -> str:
    return subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_print_options_reach_every_format_and_still_decode(api, tmp_path):
    _item, code = api.published_item_with_code()
    options = "module_mm=0.5&ec=Q&fg=%230b5cad&bg=fffbe6&logo=1"
    png = api.get(f"/codes/{code}/qr.png?{options}")
    assert png.status_code == 200
    (tmp_path / "qr.png").write_bytes(png.data)
    assert zbar(tmp_path / "qr.png") == f"http://motpub.test/s/{code}"
    svg = api.get(f"/codes/{code}/qr.svg?{options}").text
    assert 'fill="#0b5cad"' in svg and 'fill="#fffbe6"' in svg and "mm" in svg
    pdf = api.get(f"/codes/{code}/qr.pdf?{options}")
    (tmp_path / "qr.pdf").write_bytes(pdf.data)
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-singlefile", str(tmp_path / "qr.pdf"),
                    str(tmp_path / "page")], check=True)
    assert zbar(tmp_path / "page.png") == f"http://motpub.test/s/{code}"


@pytest.mark.parametrize("query", ["fg=ffffff&bg=000000", "fg=%23aaaaaa", "fg=ffff00&bg=0000ff"])
def test_unreadable_colours_are_refused_with_a_clear_json_error(api, query):
    _item, code = api.published_item_with_code()
    response = api.get(f"/codes/{code}/qr.png?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unreadable_colours" and "scanner" in error["message"]


@pytest.mark.parametrize("query", ["module_mm=0.1", "module_mm=9", "fg=red", "logo=maybe"])
def test_out_of_range_options_are_422(api, query):
    _item, code = api.published_item_with_code()
    response = api.get(f"/codes/{code}/qr.svg?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == query.split("=")[0]
