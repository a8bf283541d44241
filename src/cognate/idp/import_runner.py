"""Running a started user import job in the background, batch by batch.

StartUserImportJob leaves the job Pending and hands it here; the work runs as a task of the
server's event loop, never inside the request. Each batch is parsed first (pure rules,
domain.user_import) and then written in one short transaction that also checks the job's
status (StopUserImportJob asks for Stopping, honoured here between batches; a deleted pool
took the job with it), records the counters and the first line not yet handled, and renews the
job's lease. Each row's writes sit in a savepoint, so one bad row fails alone. Between batches
the task yields to the loop, so requests keep being served during a large import.

A job whose lease lapsed (its server stopped) is taken over by whichever server next describes
or lists it (`resume_abandoned`), and goes on from the line it had reached.

Like Cognito, the outcome of each row is logged by line number only (no user data):
`[SUCCEEDED] Line Number 5 - The import succeeded.` on the `cognate.user_import` logger.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.attributes import aliases_of
from cognate.domain.pool import Pool
from cognate.domain.user import UserStatus, username_key
from cognate.domain.user_import import (
    ACTIVE_STATUSES,
    CompletionMessage,
    CsvFileError,
    ImportedUser,
    ImportJob,
    ImportStatus,
    RowError,
    parse_header,
    parse_row,
)
from cognate.errors import CognitoError, UsernameExistsException
from cognate.store import import_jobs as job_store
from cognate.store import users as user_store
from cognate.store.pools import get_pool

BATCH_ROWS = 100
"""Rows written per transaction: small enough that other writers never wait long."""

LEASE = timedelta(seconds=60)
"""How long a worker owns a job without finishing a batch before another may take it over."""

log = logging.getLogger("cognate.user_import")

# Strong references to the running jobs' tasks: the event loop keeps only weak ones, and a task
# collected mid-run would stop without a word. Process-local by nature; the database holds the
# state that matters (status, counters, lease).
_tasks: set[asyncio.Task[None]] = set()


def start_worker(ctx: Context, pool_id: str, job_id: str) -> None:
    """Run the job (which the caller holds the lease of) in a background task."""
    task = asyncio.get_running_loop().create_task(run_job(ctx, pool_id, job_id))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def resume_abandoned(ctx: Context, job: ImportJob) -> None:
    """Take over and go on with `job` if it is active and its worker's lease lapsed."""
    now = ctx.clock()
    if job.status not in ACTIVE_STATUSES:
        return
    if job.lease_expires_at is not None and job.lease_expires_at >= now:
        return
    async with ctx.store.begin() as conn:
        is_claimed = await job_store.claim(conn, job.id, now=now, until=now + LEASE)
    if is_claimed:
        start_worker(ctx, job.pool_id, job.id)


async def run_job(ctx: Context, pool_id: str, job_id: str) -> None:
    """Import the job's CSV to the end, or until stopped; an unexpected error fails the job."""
    try:
        await _run(ctx, pool_id, job_id)
    except Exception:  # the top of a background task: nobody else would ever see it
        log.exception("user import job %s failed", job_id)
        await _finish(ctx, job_id, ImportStatus.FAILED, CompletionMessage.INTERNAL_FAILURE)


@dataclass(slots=True)
class _Tally:
    imported: int = 0
    skipped: int = 0
    failed: int = 0


async def _run(ctx: Context, pool_id: str, job_id: str) -> None:
    async with ctx.store.read() as conn:
        job = await job_store.get_job(conn, pool_id, job_id)
        pool = await get_pool(conn, pool_id)
    if job is None or pool is None or job.upload_id is None:
        return
    async with ctx.store.begin() as conn:
        await job_store.move(
            conn, job_id, when={ImportStatus.PENDING}, status=ImportStatus.IN_PROGRESS
        )
    lines = _lines(ctx, job_id, job.upload_id)
    try:
        columns = parse_header(pool, await anext(lines, ""))
        batch: list[tuple[int, str]] = []
        async for number, line in _numbered(lines):
            if number < job.next_line or not line.strip():
                continue
            batch.append((number, line))
            if len(batch) == BATCH_ROWS:
                if not await _import_batch(ctx, pool, job_id, columns, batch):
                    return
                batch = []
                await asyncio.sleep(0)
    except (CsvFileError, UnicodeDecodeError) as error:
        log.info("user import job %s: the CSV file cannot be read: %s", job_id, error)
        await _finish(ctx, job_id, ImportStatus.FAILED, CompletionMessage.CSV_PARSING_FAILURE)
        return
    if batch and not await _import_batch(ctx, pool, job_id, columns, batch):
        return
    await _finish(ctx, job_id, ImportStatus.SUCCEEDED, CompletionMessage.SUCCEEDED)


async def _numbered(lines: AsyncIterator[str]) -> AsyncIterator[tuple[int, str]]:
    """Data lines with their line numbers (the header, already read, is line 1)."""
    number = 1
    async for line in lines:
        number += 1
        yield number, line


async def _lines(ctx: Context, job_id: str, upload_id: str) -> AsyncIterator[str]:
    """The CSV's lines, decoded as UTF-8 one stored piece at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    seq = 0
    while True:
        async with ctx.store.read() as conn:
            data = await job_store.chunk(conn, job_id, upload_id, seq)
        if data is None:
            break
        seq += 1
        *complete, pending = (pending + decoder.decode(data)).split("\n")
        for line in complete:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")


async def _import_batch(
    ctx: Context, pool: Pool, job_id: str, columns: Sequence[str], batch: Sequence[tuple[int, str]]
) -> bool:
    """Write one batch; False if the job is to go no further (stopped, or gone with its pool)."""
    tally = _Tally()
    parsed: list[tuple[int, ImportedUser]] = []
    for number, line in batch:
        try:
            parsed.append((number, parse_row(pool, columns, line, str(uuid.uuid4()))))
        except RowError as error:
            tally.failed += 1
            log.info("[FAILED] Line Number %d - %s", number, error)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        status = await job_store.current_status(conn, job_id)
        if status is ImportStatus.STOPPING:
            await _stop(conn, job_id, now)
        if status is not ImportStatus.IN_PROGRESS:
            return False
        for number, user in parsed:
            await _insert(conn, pool, user, number, tally, now)
        await job_store.record_batch(
            conn,
            job_id,
            imported=tally.imported,
            skipped=tally.skipped,
            failed=tally.failed,
            next_line=batch[-1][0] + 1,
            lease_until=now + LEASE,
        )
    return True


async def _insert(
    conn: AsyncConnection,
    pool: Pool,
    user: ImportedUser,
    number: int,
    tally: _Tally,
    now: datetime,
) -> None:
    """Create one imported user (RESET_REQUIRED, no password), counting the outcome."""
    try:
        async with job_store.savepoint(conn):
            created = await user_store.insert_user(
                conn,
                pool_id=pool.id,
                username=user.username,
                key=username_key(user.username, case_sensitive=pool.is_case_sensitive),
                sub=user.attributes["sub"],
                status=UserStatus.RESET_REQUIRED,
                attributes=user.attributes,
                password=None,
                now=now,
            )
            if user.mfa:
                await user_store.update_user(conn, created.id, now=now, mfa=user.mfa)
            await user_store.set_aliases(
                conn,
                pool_id=pool.id,
                user_id=created.id,
                wanted=aliases_of(pool, user.attributes),
                username_kinds=pool.username_attributes,
                now=now,
                is_new_user=True,
            )
    except UsernameExistsException:
        tally.skipped += 1
        log.info("[SKIPPED] Line Number %d - The user already exists.", number)
    except CognitoError as error:
        tally.failed += 1
        log.info("[FAILED] Line Number %d - %s", number, error.message)
    else:
        tally.imported += 1
        log.info("[SUCCEEDED] Line Number %d - The import succeeded.", number)


async def _stop(conn: AsyncConnection, job_id: str, now: datetime) -> None:
    await job_store.move(
        conn,
        job_id,
        when={ImportStatus.STOPPING},
        status=ImportStatus.STOPPED,
        completed_at=now,
        completion_message=CompletionMessage.STOPPED.value,
        lease_expires_at=None,
    )
    await job_store.delete_chunks(conn, job_id)


async def _finish(
    ctx: Context, job_id: str, status: ImportStatus, message: CompletionMessage
) -> None:
    """End the job as `status`, or as Stopped if a stop was asked for meanwhile; drop its file."""
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await _stop(conn, job_id, now)
        await job_store.move(
            conn,
            job_id,
            when={ImportStatus.PENDING, ImportStatus.IN_PROGRESS},
            status=status,
            completed_at=now,
            completion_message=message.value,
            lease_expires_at=None,
        )
        await job_store.delete_chunks(conn, job_id)
