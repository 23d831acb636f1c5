"""A coordinator's spreadsheet on its way in: the stored file, the chosen columns, the check's
findings and the progress of the import."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..communities.models import Community

# uploaded: stored, columns not yet checked. checking: rows being checked. checked: every row
# checked, `error_rows` say how many are wrong. running: rows checked again before saving.
# saving: the one transaction that writes the posts. done / failed: finished (failed saves no
# post and says why in `error`).
IMPORT_STATES = ("uploaded", "checking", "checked", "running", "saving", "done", "failed")
WORKING_STATES = ("checking", "running", "saving")
FINISHED_STATES = ("done", "failed")
MAX_SHOWN_PROBLEMS = 100
# A job that has not written progress for this long has stopped (its worker was killed).
STALE_AFTER = timedelta(minutes=15)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SpreadsheetImport(db.Model):
    """One uploaded CSV file. The file lives in UPLOAD_FOLDER under `stored_name` (random hex,
    never the member's file name, never served back); `original_name` is only ever shown as
    escaped text."""

    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint(_in("state", IMPORT_STATES), name="state_valid"),
        CheckConstraint(
            "row_count >= 0 AND processed_rows >= 0 AND imported_rows >= 0 "
            "AND skipped_rows >= 0 AND error_rows >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("processed_rows <= row_count", name="processed_within_rows"),
        CheckConstraint("imported_rows + skipped_rows <= row_count", name="imported_within_rows"),
        CheckConstraint(
            "(state IN ('done', 'failed')) = (finished_at IS NOT NULL)",
            name="finished_when_done_or_failed",
        ),
        Index("ix_imports_community", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    row_count: Mapped[int] = mapped_column(default=0)
    # {"title": "2", "kind": "all-offer", ...}: our field -> a column's position, as JSON text.
    mapping_json: Mapped[str] = mapped_column("mapping", Text, default="{}")
    skip_bad_rows: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="uploaded")
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    skipped_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    # The first MAX_SHOWN_PROBLEMS row messages of the last check, as a JSON list.
    problems_json: Mapped[str] = mapped_column("problems", Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Moves with every change, progress included: a job that stopped (a worker killed
    # mid-run) shows as an import that has not moved for a while, and may be checked again.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    finished_at: Mapped[datetime | None]

    community: Mapped[Community] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def mapping(self) -> dict[str, str]:
        value = json.loads(self.mapping_json or "{}")
        return value if isinstance(value, dict) else {}

    @property
    def problems(self) -> list[str]:
        value = json.loads(self.problems_json or "[]")
        return value if isinstance(value, list) else []

    @property
    def is_stale(self) -> bool:
        """Working, but nothing has moved for STALE_AFTER: the coordinator may check again."""
        return self.state in WORKING_STATES and self.updated_at < now_utc() - STALE_AFTER

    @property
    def is_working(self) -> bool:
        return self.state in WORKING_STATES and not self.is_stale

    @property
    def is_waiting(self) -> bool:
        """Waiting for the coordinator: to choose columns, to import, or to try again."""
        return self.state in ("uploaded", "checked", "failed") or self.is_stale

    @property
    def good_rows(self) -> int:
        return self.row_count - self.error_rows

    def __repr__(self) -> str:
        return f"<SpreadsheetImport {self.id} {self.state} {self.processed_rows}/{self.row_count}>"
