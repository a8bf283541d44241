"""CSV user import: CreateUserImportJob, DescribeUserImportJob, ListUserImportJobs,
StartUserImportJob, StopUserImportJob (GetCSVHeader is in user_listing.py).

Cognito developer guide, "Importing users into a user pool from a CSV file": get the header,
create a job (Created, with a PreSignedUrl to PUT the CSV to: idp/import_upload.py), upload,
start it (Pending -> InProgress -> Succeeded | Failed, or Stopping -> Stopped when stopped),
and read the counters. The rows' rules are in domain/user_import.py, the work in
idp/import_runner.py. CloudWatchLogsRoleArn is required and echoed; Cognate logs the per-line
results to its own log instead of CloudWatch, so the role is never assumed.
"""

from __future__ import annotations

from datetime import datetime

from cognate.context import Context
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.domain.user_import import (
    RUNNING_STATUSES,
    ImportJob,
    ImportStatus,
    has_auto_verified_attribute,
    new_job_id,
)
from cognate.errors import (
    InvalidParameterException,
    PreconditionNotMetException,
    ResourceNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.import_runner import LEASE, resume_abandoned, start_worker
from cognate.idp.import_upload import presigned_url
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import import_jobs as job_store

_LISTING = "ListUserImportJobs"


def job_type(ctx: Context, job: ImportJob) -> shapes.UserImportJobType:
    """The wire UserImportJobType of `job`, its status as of now."""
    described: shapes.UserImportJobType = {
        "JobName": job.name,
        "JobId": job.id,
        "UserPoolId": job.pool_id,
        "PreSignedUrl": presigned_url(ctx, job),
        "CreationDate": job.created_at,
        "Status": job.status_at(ctx.clock()).value,
        "CloudWatchLogsRoleArn": job.logs_role_arn,
        "ImportedUsers": job.imported,
        "SkippedUsers": job.skipped,
        "FailedUsers": job.failed,
    }
    if job.started_at is not None:
        described["StartDate"] = job.started_at
    if job.completed_at is not None:
        described["CompletionDate"] = job.completed_at
    if job.completion_message:
        described["CompletionMessage"] = job.completion_message
    return described


async def _require_job(ctx: Context, pool_id: str, job_id: str) -> tuple[Pool, ImportJob]:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, pool_id)
        job = await job_store.get_job(conn, pool.id, job_id)
    if job is None:
        raise ResourceNotFoundException(f"Import job {job_id} does not exist.")
    return pool, job


async def _reload(ctx: Context, job: ImportJob) -> ImportJob:
    async with ctx.store.read() as conn:
        return await job_store.get_job(conn, job.pool_id, job.id) or job


@idp.operation("CreateUserImportJob")
async def create_user_import_job(
    ctx: Context, req: shapes.CreateUserImportJobRequest
) -> shapes.CreateUserImportJobResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        job = await job_store.insert_job(
            conn,
            job_id=new_job_id(),
            pool_id=pool.id,
            name=req["JobName"],
            logs_role_arn=req["CloudWatchLogsRoleArn"],
            now=ctx.clock(),
        )
    return {"UserImportJob": job_type(ctx, job)}


@idp.operation("DescribeUserImportJob")
async def describe_user_import_job(
    ctx: Context, req: shapes.DescribeUserImportJobRequest
) -> shapes.DescribeUserImportJobResponse:
    _, job = await _require_job(ctx, req["UserPoolId"], req["JobId"])
    await resume_abandoned(ctx, job)
    return {"UserImportJob": job_type(ctx, job)}


@idp.operation("ListUserImportJobs")
async def list_user_import_jobs(
    ctx: Context, req: shapes.ListUserImportJobsRequest
) -> shapes.ListUserImportJobsResponse:
    pool_id = req["UserPoolId"]
    after = None
    if "PaginationToken" in req:
        after = _after(decode_token(req["PaginationToken"], _LISTING, pool_id))
    limit = req["MaxResults"]
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, pool_id)
        jobs = await job_store.list_jobs(conn, pool.id, after=after, limit=limit + 1)
    for job in jobs[:limit]:
        await resume_abandoned(ctx, job)
    result: shapes.ListUserImportJobsResponse = {
        "UserImportJobs": [job_type(ctx, job) for job in jobs[:limit]]
    }
    if len(jobs) > limit:
        last = jobs[limit - 1]
        result["PaginationToken"] = encode_token(
            _LISTING, pool_id, [last.created_at.isoformat(), last.id]
        )
    return result


def _after(key: object) -> tuple[datetime, str]:
    """The (created_at, id) key a ListUserImportJobs token carries."""
    if isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key):
        try:
            return datetime.fromisoformat(key[0]), key[1]
        except ValueError:
            pass
    raise InvalidParameterException("Invalid pagination token.")


@idp.operation("StartUserImportJob")
async def start_user_import_job(
    ctx: Context, req: shapes.StartUserImportJobRequest
) -> shapes.StartUserImportJobResponse:
    pool, job = await _require_job(ctx, req["UserPoolId"], req["JobId"])
    now = ctx.clock()
    status = job.status_at(now)
    if status is not ImportStatus.CREATED:
        raise PreconditionNotMetException(f"Import job {job.id} is {status}, not Created.")
    if job.upload_id is None:
        raise PreconditionNotMetException(f"No CSV file was uploaded for import job {job.id}.")
    if not has_auto_verified_attribute(pool):
        raise PreconditionNotMetException(
            "The user pool has no auto-verified attributes: imported users could not reset "
            "their passwords."
        )
    async with ctx.store.begin() as conn:
        is_started = await job_store.move(
            conn,
            job.id,
            when={ImportStatus.CREATED},
            status=ImportStatus.PENDING,
            started_at=now,
            lease_expires_at=now + LEASE,
        )
    if not is_started:
        raise PreconditionNotMetException(f"Import job {job.id} is not Created.")
    start_worker(ctx, pool.id, job.id)
    return {"UserImportJob": job_type(ctx, await _reload(ctx, job))}


@idp.operation("StopUserImportJob")
async def stop_user_import_job(
    ctx: Context, req: shapes.StopUserImportJobRequest
) -> shapes.StopUserImportJobResponse:
    _, job = await _require_job(ctx, req["UserPoolId"], req["JobId"])
    async with ctx.store.begin() as conn:
        is_stopping = await job_store.move(
            conn, job.id, when=RUNNING_STATUSES, status=ImportStatus.STOPPING
        )
    if not is_stopping:
        raise PreconditionNotMetException(
            f"Import job {job.id} is {job.status_at(ctx.clock())}: only a Pending or InProgress "
            "job can be stopped."
        )
    return {"UserImportJob": job_type(ctx, await _reload(ctx, job))}
