"""Caption uploads through the API: what is published is the text the editor wrote."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from tests.factories import complete, run_jobs, upload

BIG5_SRT = ("1\r\n00:00:00,500 --> 00:00:02,000\r\n這件青銅鼎是商代晚期的禮器。\r\n\r\n"
            "2\r\n00:00:02,000 --> 00:00:02,900\r\n器身飾有饕餮紋，雙耳立於口沿。\r\n")


def post_caption(api, video_id: int, data: bytes, language: str = "zh"):
    return api.post(f"/videos/{video_id}/captions",
                    data={"language": language, "file": (io.BytesIO(data), "zh.srt")},
                    content_type="multipart/form-data")


def test_a_big5_caption_is_published_as_the_traditional_chinese_it_holds(app, api, client,
                                                                         clip):
    item, _code = api.published_item_with_code()
    plan = upload(api, client, item["id"], clip.read_bytes())
    complete(api, plan)
    assert run_jobs(app) == ["ready"]
    response = post_caption(api, plan["video_id"], BIG5_SRT.encode("big5"))
    assert response.status_code == 201, response.get_json()
    vtt = client.get(urlsplit(response.get_json()["url"]).path, buffered=True).text
    assert "這件青銅鼎是商代晚期的禮器。\n" in vtt and "器身飾有饕餮紋，雙耳立於口沿。\n" in vtt

    unclear = post_caption(api, plan["video_id"],
                           "1\r\n00:00:00,500 --> 00:00:02,000\r\n青銅鼎\r\n".encode("big5"))
    assert unclear.status_code == 422
    message = unclear.get_json()["error"]["message"]
    assert "Big5" in message and "UTF-8" in message
    # The refused file changed nothing: the published caption is still the first one.
    captions = api.get(f"/videos/{plan['video_id']}").get_json()["captions"]
    assert captions == [{"language": "zh", "url": response.get_json()["url"]}]
