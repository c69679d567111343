"""Label sheets too large to draw in a request: a queued job to poll, then its PDF."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, jsonify, url_for
from werkzeug.datastructures import MultiDict

from motpub.exhibitions.models import Exhibition
from motpub.codes.models.label_job import LabelJob
from motpub.codes.services import label_jobs
from motpub.accounts.access import can_edit, requires
from motpub.codes import representations as out
from motpub.web.audiences import api_blueprint
from motpub.web.context import db, runtime

bp = api_blueprint("codes_label_jobs_api", __name__)


def label_job_json(job: LabelJob) -> dict:
    is_ready = job.storage_key is not None and job.status.value == "succeeded"
    return out.LabelJob(**{
        "id": job.id,
        "exhibition_id": job.exhibition_id,
        "template": job.template,
        "languages": list(label_jobs.job_languages(job)),
        "status": job.status.value,
        "progress": job.progress,
        "label_count": job.label_count,
        "error": job.error,
        "status_url": url_for("codes_label_jobs_api.get_label_job", job_id=job.id),
        "pdf_url": (url_for("codes_label_jobs_api.label_job_pdf", job_id=job.id)
                    if is_ready else None),
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }).model_dump()


def label_sheet_args(args: MultiDict[str, str]) -> dict[str, str]:
    """A label sheet's query as LabelSheetQuery reads it: `languages` may come as one
    comma-separated value or repeated, as a form's checkboxes send it."""
    fields = args.to_dict()
    if "languages" in args:
        fields["languages"] = ",".join(args.getlist("languages"))
    return fields


def start_label_job(exhibition: Exhibition, template: str, label_count: int,
                    languages: Sequence[str] | None = None) -> LabelJob:
    """The job that builds the sheet, enqueued once the request commits."""
    return label_jobs.queue_label_job(db(), exhibition, template=template,
                                      label_count=label_count, languages=languages,
                                      enqueue=runtime().tasks.build_label_sheet)


def queued_label_sheet(exhibition: Exhibition, template: str, label_count: int,
                       languages: Sequence[str] | None = None):
    """202 with the job that builds the sheet, to poll."""
    job = start_label_job(exhibition, template, label_count, languages)
    response = jsonify(label_job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("codes_label_jobs_api.get_label_job", job_id=job.id)
    return response


@bp.get("/label-jobs/<int:job_id>")
@requires(can_edit)
def get_label_job(job_id: int):
    return jsonify(label_job_json(label_jobs.get_label_job(db(), job_id)))


@bp.get("/label-jobs/<int:job_id>/labels.pdf")
@requires(can_edit)
def label_job_pdf(job_id: int):
    job = label_jobs.get_label_job(db(), job_id)
    key = label_jobs.finished_sheet_key(job)
    response = Response(runtime().storage.get_bytes(key), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="motpub-labels-{job.exhibition_id}-{job.template}.pdf"')
    return response
