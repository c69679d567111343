"""What an editor reads about their media: one message id per reason a file was refused or
a video failed or waits, rendered in the reader's language when shown.

Rows and errors hold the code and its values (MediaError, Video.error_code/error_args), so
a language added later reads every stored reason in its own words.
"""

from __future__ import annotations

from collections.abc import Mapping

from motpub.i18n import N_, content_languages, render, render_joined, render_source

MESSAGES = {
    # The file (motpub.avtools.probe, motpub.avtools.captions).
    "read_timeout": N_("the file could not be read in time"),
    "unknown_format": N_("the file is not a video or audio format we can read"),
    "incomplete": N_("the file is incomplete or damaged: it should last %(declared)s but its "
                     "data ends at %(held)s. Export or upload it again"),
    "not_media": N_("this is a picture or a document, not a video or audio file"),
    "no_stream": N_("no decodable video or audio stream"),
    "no_duration": N_("the length of the file could not be read"),
    "picture_too_small": N_("the picture is %(size)s pixels; a video must be at least "
                            "%(minimum)s. Replace the file with a real video"),
    "no_picture_size": N_("the video has no picture size"),
    "video_too_long": N_("the video is %(actual)s long; the limit is %(limit)s"),
    "audio_too_long": N_("the audio is %(actual)s long; the limit is %(limit)s"),
    "video_too_large": N_("the video is %(actual)s; the limit is %(limit)s (landscape or "
                          "portrait)"),
    "captions_empty": N_("the captions file is empty"),
    "captions_format": N_("the captions file is neither SRT nor WebVTT"),
    "captions_bad_time": N_("a cue time is not valid: %(detail)s"),
    "captions_no_cues": N_("the captions file has no cues"),
    "captions_backwards": N_("the cue at %(start)s ends at %(end)s, before it starts"),
    "captions_malformed_time": N_("line %(line)s has a malformed cue time: %(text)s"),
    "captions_encoding_unknown": N_("the captions file is not text in an encoding we can "
                                    "read; save it as UTF-8 and upload it again"),
    "captions_encoding_unclear": N_("the encoding of the captions file is unclear (probably "
                                    "%(likely)s); save it as UTF-8 and upload it again"),
    # A dub (motpub.media.services.audio_tracks).
    "dub_has_picture": N_("this file holds a picture: a dub is sound only (MP3, M4A, AAC or "
                          "WAV). Export the sound alone and upload it again"),
    "dub_length": N_("the dub lasts %(dub)s but the video lasts %(video)s; a dub must be as "
                     "long as its video, give or take %(tolerance)s"),
    "dub_needs_video": N_("a dub belongs to a video; for an audio guide, add an audio guide "
                          "in that language instead"),
    "dub_needs_speech": N_("this video is marked as having no speech, so it plays as it is "
                           "in every language; add an audio guide for a spoken text instead"),
    "dub_video_not_ready": N_("the video is not ready yet; add dubs once it has been "
                              "processed"),
    "dub_own_language": N_("the video itself speaks %(language)s; a dub is in another "
                           "language"),
    "dub_busy": N_("the %(language)s dub is being processed; replace it when that ends"),
    "dub_size": N_("the file must hold 1 to %(limit)s bytes"),
    # A picture (motpub.imaging).
    "image_empty": N_("the file is empty"),
    "image_unknown_format": N_("the file is not a picture we can read: upload a JPEG, PNG, "
                               "WebP, AVIF, HEIC or TIFF file"),
    "image_is_svg": N_("SVG pictures are refused because they can carry scripts: export the "
                       "picture as PNG or JPEG"),
    "image_is_video": N_("this is a video or sound file, not a picture: add it as a video"),
    "image_too_many_pixels": N_("the picture is %(width)s x %(height)s pixels "
                                "(%(megapixels)s megapixels); the limit is %(limit)s "
                                "megapixels. Export it smaller"),
    "image_animated": N_("the picture is animated (%(frames)s frames); upload a still "
                         "picture, or the animation as a video"),
    "image_damaged": N_("the picture is truncated or damaged and cannot be decoded: export "
                        "or upload it again"),
    # The work on it (motpub.media.services.transcoding, jobs, videos).
    "storage_failed": N_("The server's storage failed on every attempt (it may be full). "
                         "Retry later; if it fails again, ask the operator to check the "
                         "server's storage."),
    "processing_failed": N_("Processing failed on every attempt. Retry it; if it fails again, "
                            "replace the file with another export (MP4, H.264), or ask the "
                            "operator to check the server if other files fail too."),
    "processing_stopped": N_("Processing stopped on every attempt. Retry it later; if it "
                             "stops again, ask the operator to check the server."),
    "tool_missing": N_("The server is missing a program it needs to process media (ffmpeg). "
                       "Your file is kept and will be processed once the operator installs "
                       "it; nothing to do on your side."),
    "upload_cancelled": N_("The upload was cancelled."),
    "upload_abandoned": N_("The upload was not finished and has been discarded."),
    # What the file turned out to be, when the upload declared otherwise (a notice).
    "sent_as_audio_holds_video": N_("The file was sent as audio (%(content_type)s) but holds "
                                    "a video: it is published as a video, not as an audio "
                                    "guide."),
    "sent_as_video_holds_audio": N_("The file was sent as a video (%(content_type)s) but "
                                    "holds sound only: it is published as an audio guide."),
}


def message(code: str, args: Mapping[str, object] | None, language: str) -> str:
    """The reason `code` in `language`, filled with its values."""
    return render(MESSAGES.get(code, MESSAGES["processing_failed"]), language, args)


def messages(code: str, args: Mapping[str, object] | None = None) -> dict[str, str]:
    """The reason in every content language, keyed by language (the API's shape)."""
    return {lang: message(code, args, lang) for lang in content_languages()}


def joined_message(code: str, args: Mapping[str, object] | None = None) -> str:
    """The reason for a reader whose language is unknown (an API error's message)."""
    return render_joined(MESSAGES.get(code, MESSAGES["processing_failed"]), args)


def log_message(code: str, args: Mapping[str, object] | None = None) -> str:
    """The reason in the message id's own words, for job rows and logs."""
    return render_source(MESSAGES.get(code, code), args)
