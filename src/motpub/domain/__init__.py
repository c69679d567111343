"""Typed SQLAlchemy models and their invariants. Nothing here knows about HTTP or queues."""

from motpub.domain.base import Base
from motpub.domain.code import Code, CodeChange
from motpub.domain.engagement import Engagement, EngagementKind
from motpub.domain.exhibition import Exhibition, ExhibitionItem
from motpub.domain.item import Item, ItemStatus
from motpub.domain.label_job import LabelJob
from motpub.domain.rollup import (CodeHourRollup, DailyEngagementRollup, DailyVisitorRollup,
                                  EngagementRollup, ItemHourRollup, RollupWatermark,
                                  VisitorRollup, VisitRollup)
from motpub.domain.scan import DeviceClass, LanguageSource, Scan, View, VisitorSalt
from motpub.domain.transcode_job import ACTIVE_JOB_STATUSES, JobStatus, TranscodeJob
from motpub.domain.user import ApiToken, Role, User
from motpub.domain.video import Caption, MediaKind, Rendition, Video, VideoStatus

__all__ = [
    "CodeHourRollup",
    "DailyEngagementRollup",
    "DailyVisitorRollup",
    "ACTIVE_JOB_STATUSES",
    "ApiToken",
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
    "Item",
    "ItemStatus",
    "LanguageSource",
    "Role",
    "Scan",
    "User",
    "View",
    "VisitRollup",
    "VisitorRollup",
    "RollupWatermark",
    "VisitorSalt",
]
