"""The ffmpeg and ffprobe wrappers: probe, HLS ladder, first playable rendition, poster,
audio, captions. The only ffmpeg-python import; no user-facing sentence."""
