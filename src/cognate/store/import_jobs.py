"""Queries on CSV user import jobs and the pieces of their uploaded files.

A job moves between statuses only by conditional updates (`move`), so two servers sharing the
database never both start, stop or finish the same job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.user_import import ImportJob, ImportStatus
from cognate.store.tables import user_import_chunks, user_import_jobs


def _job_from_row(row: sa.Row[Any]) -> ImportJob:
    return ImportJob(
        id=row.id,
        pool_id=row.pool_id,
        name=row.name,
        logs_role_arn=row.logs_role_arn,
        status=ImportStatus(row.status),
        created_at=row.created_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        imported=row.imported,
        skipped=row.skipped,
        failed=row.failed,
        completion_message=row.completion_message,
        upload_id=row.upload_id,
        next_line=row.next_line,
        lease_expires_at=row.lease_expires_at,
    )


async def insert_job(
    conn: AsyncConnection,
    *,
    job_id: str,
    pool_id: str,
    name: str,
    logs_role_arn: str,
    now: datetime,
) -> ImportJob:
    """Store a new job in status Created."""
    values = {
        "id": job_id,
        "pool_id": pool_id,
        "name": name,
        "logs_role_arn": logs_role_arn,
        "status": ImportStatus.CREATED.value,
        "created_at": now,
        "imported": 0,
        "skipped": 0,
        "failed": 0,
        "next_line": 2,
    }
    row = await conn.execute(user_import_jobs.insert().returning(*user_import_jobs.c), values)
    return _job_from_row(row.one())


async def get_job(conn: AsyncConnection, pool_id: str, job_id: str) -> ImportJob | None:
    """Job `job_id` of pool `pool_id`, or None."""
    query = user_import_jobs.select().where(
        user_import_jobs.c.pool_id == pool_id, user_import_jobs.c.id == job_id
    )
    row = (await conn.execute(query)).first()
    return _job_from_row(row) if row else None


async def list_jobs(
    conn: AsyncConnection, pool_id: str, *, after: tuple[datetime, str] | None, limit: int
) -> list[ImportJob]:
    """Up to `limit` jobs of the pool, oldest first, after the (created_at, id) key `after`."""
    query = user_import_jobs.select().where(user_import_jobs.c.pool_id == pool_id)
    if after is not None:
        query = query.where(
            sa.tuple_(user_import_jobs.c.created_at, user_import_jobs.c.id) > sa.tuple_(*after)
        )
    query = query.order_by(user_import_jobs.c.created_at, user_import_jobs.c.id).limit(limit)
    return [_job_from_row(row) for row in (await conn.execute(query)).all()]


async def move(
    conn: AsyncConnection, job_id: str, *, when: Collection[ImportStatus], **values: Any
) -> bool:
    """Update the job with `values` if its status is one of `when`; whether it was."""
    query = (
        user_import_jobs.update()
        .where(
            user_import_jobs.c.id == job_id,
            user_import_jobs.c.status.in_([status.value for status in when]),
        )
        .values(**{key: _stored(value) for key, value in values.items()})
    )
    return (await conn.execute(query)).rowcount == 1


async def claim(conn: AsyncConnection, job_id: str, *, now: datetime, until: datetime) -> bool:
    """Take over an active job whose worker's lease lapsed (or that never had one)."""
    query = (
        user_import_jobs.update()
        .where(
            user_import_jobs.c.id == job_id,
            user_import_jobs.c.status.in_(
                [ImportStatus.PENDING, ImportStatus.IN_PROGRESS, ImportStatus.STOPPING]
            ),
            sa.or_(
                user_import_jobs.c.lease_expires_at.is_(None),
                user_import_jobs.c.lease_expires_at < now,
            ),
        )
        .values(lease_expires_at=until)
    )
    return (await conn.execute(query)).rowcount == 1


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, ImportStatus) else value


async def current_status(conn: AsyncConnection, job_id: str) -> ImportStatus | None:
    """The job's stored status, or None once it is gone (its pool was deleted)."""
    query = sa.select(user_import_jobs.c.status).where(user_import_jobs.c.id == job_id)
    status = (await conn.execute(query)).scalar()
    return ImportStatus(status) if status is not None else None


async def add_chunk(
    conn: AsyncConnection, job_id: str, upload_id: str, seq: int, data: bytes
) -> None:
    """Store piece `seq` of upload `upload_id`."""
    values = {"job_id": job_id, "upload_id": upload_id, "seq": seq, "data": data}
    await conn.execute(user_import_chunks.insert(), values)


async def delete_chunks(
    conn: AsyncConnection, job_id: str, *, except_upload: str | None = None
) -> None:
    """Remove the job's file pieces, all of them or all but those of `except_upload`."""
    query = user_import_chunks.delete().where(user_import_chunks.c.job_id == job_id)
    if except_upload is not None:
        query = query.where(user_import_chunks.c.upload_id != except_upload)
    await conn.execute(query)


async def delete_upload(conn: AsyncConnection, job_id: str, upload_id: str) -> None:
    """Remove the pieces of one (abandoned) upload."""
    await conn.execute(
        user_import_chunks.delete().where(
            user_import_chunks.c.job_id == job_id, user_import_chunks.c.upload_id == upload_id
        )
    )


async def chunk(conn: AsyncConnection, job_id: str, upload_id: str, seq: int) -> bytes | None:
    """Piece `seq` of the upload, or None past its end."""
    query = sa.select(user_import_chunks.c.data).where(
        user_import_chunks.c.job_id == job_id,
        user_import_chunks.c.upload_id == upload_id,
        user_import_chunks.c.seq == seq,
    )
    data: bytes | None = (await conn.execute(query)).scalar()
    return data


async def record_batch(
    conn: AsyncConnection,
    job_id: str,
    *,
    imported: int,
    skipped: int,
    failed: int,
    next_line: int,
    lease_until: datetime,
) -> None:
    """Add one batch's outcome to the job's counters, with where to go on, and renew the lease."""
    await conn.execute(
        user_import_jobs.update()
        .where(user_import_jobs.c.id == job_id)
        .values(
            imported=user_import_jobs.c.imported + imported,
            skipped=user_import_jobs.c.skipped + skipped,
            failed=user_import_jobs.c.failed + failed,
            next_line=next_line,
            lease_expires_at=lease_until,
        )
    )


@asynccontextmanager
async def savepoint(conn: AsyncConnection) -> AsyncIterator[None]:
    """A SAVEPOINT on every database (unlike users._savepoint): if the block raises, all of its
    statements are undone and the transaction goes on, so one bad row of a batch leaves none of
    its writes behind."""
    async with conn.begin_nested():
        yield
