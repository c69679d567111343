"""Typed SQLAlchemy models and their invariants. Nothing here knows about HTTP or queues."""

from motpub.orm import Base
from motpub.codes.models.code import Code, CodeChange
from motpub.analytics.models.engagement import Engagement, EngagementKind
from motpub.exhibitions.models import Exhibition, ExhibitionItem
from motpub.items.models import Item, ItemStatus
from motpub.codes.models.label_job import LabelJob
from motpub.coverage.models import Subject, TranslationBasis
from motpub.analytics.models.rollup import (
    CodeHourRollup, DailyEngagementRollup, DailyVisitorRollup, EngagementRollup, ItemHourRollup,
    RollupWatermark, VisitorRollup, VisitRollup)
from motpub.analytics.models.scan import DeviceClass, Scan, View, VisitorSalt
from motpub.media.models.transcode_job import ACTIVE_JOB_STATUSES, JobStatus, TranscodeJob
from motpub.accounts.models import ApiToken, Role, User
from motpub.media.models.image import Image, ImageStatus
from motpub.media.models.image_job import ImageJob
from motpub.media.models.video import (
    AudioTrack, Caption, MediaKind, Rendition, Video, VideoStatus)

__all__ = [
    "CodeHourRollup",
    "DailyEngagementRollup",
    "DailyVisitorRollup",
    "ACTIVE_JOB_STATUSES",
    "ApiToken",
    "AudioTrack",
    "Caption",
    "DeviceClass",
    "Engagement",
    "EngagementKind",
    "EngagementRollup",
    "ItemHourRollup",
    "Exhibition",
    "ExhibitionItem",
    "JobStatus",
    "LabelJob",
    "MediaKind",
    "Rendition",
    "TranscodeJob",
    "Video",
    "VideoStatus",
    "Base",
    "Code",
    "CodeChange",
    "Image",
    "ImageStatus",
    "ImageJob",
    "Item",
    "ItemStatus",

    "Role",
    "Scan",
    "User",
    "View",
    "VisitRollup",
    "VisitorRollup",
    "RollupWatermark",
    "Subject",
    "TranslationBasis",
    "VisitorSalt",
]
