"""Wrappers around media tools: the only place qrcode, fpdf2 and ffmpeg are imported."""
