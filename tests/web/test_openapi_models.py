"""The OpenAPI document is built from the models that validate requests and build answers,
so what the API takes and gives is what the document says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from motpub.analytics.services.reports import ExportQuery
from motpub.codes.services.codes import CodePatch
from motpub.items.services.items import ItemInput
from motpub.media.services.videos import UploadRequest
from motpub.codes.representations import Code, LabelJob, Placement
from motpub.exhibitions.representations import Exhibition
from motpub.items.representations import Item
from motpub.media.representations import Upload, Video

SRC = Path(__file__).resolve().parents[2] / "src" / "motpub"


@pytest.mark.parametrize("model", [ItemInput, CodePatch, UploadRequest, Item, Video,
                                   Placement, Exhibition, LabelJob])
def test_every_field_of_a_model_is_in_its_schema(api, model):
    schemas = api.get("/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)


def test_query_parameters_are_the_fields_of_the_query_model(api):
    document = api.get("/openapi.json").get_json()
    parameters = document["paths"]["/analytics/export.csv"]["get"]["parameters"]
    aliases = {field.alias or name for name, field in ExportQuery.model_fields.items()}
    assert {parameter["name"] for parameter in parameters} == aliases


def test_answers_have_exactly_the_fields_their_models_name(api):
    item = api.create_item()
    assert set(item) == set(Item.model_fields)
    code = api.post(f"/items/{item['id']}/codes", json={"label": "Hall 1"}).get_json()
    assert set(code) == set(Code.model_fields)
    placement = api.get(f"/codes/{code['code']}").get_json()
    assert set(placement) == set(Placement.model_fields)
    upload = api.post(f"/items/{item['id']}/videos", json={
        "filename": "a.mp4", "size_bytes": 10, "content_type": "video/mp4"}).get_json()
    assert set(upload) == set(Upload.model_fields)
    video = api.get(f"/videos/{upload['video_id']}").get_json()
    assert set(video) == set(Video.model_fields)


def test_the_document_parts_import_no_private_name_from_the_document():
    for path in SRC.glob("*/openapi.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "motpub.openapi", path.name
