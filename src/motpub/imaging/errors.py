from __future__ import annotations


class ImageError(Exception):
    """A file we will not make pictures of: a message id (motpub.media.services.messages)
    and its values, so every reader gets the reason in their own language."""

    def __init__(self, code: str, **params: object):
        super().__init__(code, params)
        self.code, self.params = code, params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code
