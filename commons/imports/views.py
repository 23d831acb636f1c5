"""Spreadsheet import and export of a community's offers, needs and claims (its coordinators
and admins only): upload, choose columns and check, import, follow the progress, download."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, stream_with_context, url_for
from flask_login import current_user, login_required

from ..communities import services as communities
from ..communities.models import Community
from ..communities.permissions import NotAllowed, require_coordinator
from ..errors import render_error
from ..extensions import csrf
from ..web import redirect_to, render_page_or_partial
from . import services
from .forms import ImportForm, MappingForm, UploadForm
from .models import SpreadsheetImport

bp = Blueprint("imports", __name__, url_prefix="/communities/<slug>")


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


def _community(slug: str) -> Community:
    """The community whose spreadsheets these are; only its coordinators (and admins) pass."""
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    require_coordinator(current_user, community)
    return community


def _import(slug: str, import_id: int) -> SpreadsheetImport:
    record = services.get_import(current_user, _community(slug), import_id)
    if record is None:
        abort(404)
    return record


def _upload_page(community: Community, form: UploadForm, status: int = 200):
    return render_page_or_partial(
        "imports/new.html",
        "imports/_upload_form.html",
        status,
        community=community,
        form=form,
        fields=services.FIELDS,
        recent=services.recent_imports(current_user, community),
        max_mb=services.max_upload_bytes() // (1024 * 1024),
    )


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt  # checked below, once this route's own size limit is set
@login_required
def upload(slug: str):
    community = _community(slug)
    if request.method == "POST":
        # Larger than the site's limit, and set before anything reads the body: a bigger
        # file is refused with the 413 page before it is read.
        request.max_content_length = services.max_upload_bytes()
        csrf.protect()
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(community, form, 422 if request.method == "POST" else 200)
    try:
        record = services.start_upload(
            current_user,
            community,
            form.file.data.filename,
            form.file.data.read(services.max_upload_bytes() + 1),
        )
    except services.NotACsv as exc:
        form.file.errors = [str(exc)]
        return _upload_page(community, form, 422)
    flash(f"Your file has {record.row_count:,} rows. Now tell us which column is which.", "success")
    return redirect_to(url_for("imports.show", slug=slug, import_id=record.id))


@bp.get("/import/template.csv")
@login_required
def template(slug: str):
    community = _community(slug)
    return Response(
        services.template_csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{community.slug}-import-template.csv"',
            "Cache-Control": "private, no-store",
        },
    )


def _status(record: SpreadsheetImport, status: int = 200, *, mapping_form=None, flashes=True):
    """The import's page (or, for htmx, its status section): columns and check while it waits
    for the coordinator, the progress bar while it works, the outcome when it is finished."""
    preview, problem = None, None
    if record.is_waiting:
        try:
            preview = services.preview(record)
        except (services.ImportProblem, services.NotACsv) as exc:
            problem = str(exc)
    if preview is not None and mapping_form is None:
        mapping_form = MappingForm.for_columns(preview.columns, record)
    return render_page_or_partial(
        "imports/show.html",
        "imports/_status.html",
        status,
        flashes=flashes,
        community=record.community,
        record=record,
        preview=preview,
        problem=problem,
        mapping_form=mapping_form,
        import_form=ImportForm(),
        fields=services.FIELDS,
        progress_text=services.progress_text(record),
    )


@bp.get("/import/<int:import_id>")
@login_required
def show(slug: str, import_id: int):
    return _status(_import(slug, import_id))


@bp.get("/import/<int:import_id>/progress")
@login_required
def progress(slug: str, import_id: int):
    return _status(_import(slug, import_id), flashes=False)


@bp.post("/import/<int:import_id>/check")
@login_required
def check(slug: str, import_id: int):
    record = _import(slug, import_id)
    try:
        preview = services.preview(record)
    except (services.ImportProblem, services.NotACsv) as exc:
        flash(str(exc), "error")
        return _status(record, 422)
    form = MappingForm.for_columns(preview.columns, record)
    if not form.validate_on_submit():
        return _status(record, 422, mapping_form=form)
    try:
        services.start_check(current_user, record, form.chosen())
    except services.MappingIncomplete as exc:
        for key, message in exc.errors.items():
            getattr(form, key).errors = [message]
        return _status(record, 422, mapping_form=form)
    except services.WrongState as exc:
        flash(str(exc), "error")
        return _status(record, 409)
    return redirect_to(url_for("imports.show", slug=slug, import_id=record.id))


@bp.post("/import/<int:import_id>/run")
@login_required
def run(slug: str, import_id: int):
    record = _import(slug, import_id)
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.start_import(current_user, record, skip_bad_rows=form.skip_bad_rows.data)
    except services.WrongState as exc:
        flash(str(exc), "error")
        return _status(record, 409)
    except services.ImportProblem as exc:
        flash(str(exc), "error")
        return _status(record, 422)
    return redirect_to(url_for("imports.show", slug=slug, import_id=record.id))


def _csv_download(lines, filename: str) -> Response:
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/export/posts.csv")
@login_required
def export_posts(slug: str):
    community = _community(slug)
    lines = services.export_posts(current_user, community)
    return _csv_download(lines, services.export_filename(community, "posts"))


@bp.get("/export/claims.csv")
@login_required
def export_claims(slug: str):
    community = _community(slug)
    lines = services.export_claims(current_user, community)
    return _csv_download(lines, services.export_filename(community, "claims"))
