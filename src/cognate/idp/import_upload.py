"""The pre-signed URL of a user import job, and `PUT /_import/{poolId}/{jobId}` behind it.

Cognito hands out an S3 pre-signed PUT URL; the documented upload is `curl -T users.csv
-H "x-amz-server-side-encryption:aws:kms" <PreSignedUrl>` (developer guide, "Importing users
into a user pool from a CSV file"). Cognate hosts the upload itself, under its public base URL,
with S3's query parameters: X-Amz-Signature is a keyed hash (master key) of the pool, the job,
X-Amz-Date and X-Amz-Expires, so the URL cannot be forged or stretched, and it lapses
X-Amz-Expires seconds after the job was created, as S3's does. Only `host` is "signed", so an
upload with or without the encryption header is accepted. Answers are S3's: 200 with an ETag,
or 403/400 with an XML error.

The file goes into the database in pieces of up to 1 MiB, each piece in its own short
transaction, so neither the request nor the database holds more than a piece at a time; the
upload becomes the job's file only in the final transaction, and an upload that breaks off is
removed. In the database, not the data dir: the servers sharing a database share no disk, and
any of them may run the job.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from cognate.context import Context
from cognate.domain.user_import import MAX_FILE_BYTES, ImportJob, ImportStatus
from cognate.store import import_jobs as job_store

UPLOAD_LIFETIME_SECONDS = 900
"""How long a job's PreSignedUrl accepts uploads after CreateUserImportJob (S3's default)."""

_PURPOSE = "user-import-upload"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_CHUNK_BYTES = 1024 * 1024


def _signature(ctx: Context, pool_id: str, job_id: str, amz_date: str, expires: str) -> str:
    return ctx.secrets.keyed_hash(f"{pool_id}\n{job_id}\n{amz_date}\n{expires}", _PURPOSE)


def presigned_url(ctx: Context, job: ImportJob) -> str:
    """The job's upload URL; the same every time (it is derived from the job's creation)."""
    amz_date = job.created_at.astimezone(UTC).strftime(_DATE_FORMAT)
    expires = str(UPLOAD_LIFETIME_SECONDS)
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"cognate/{amz_date[:8]}/{ctx.region}/s3/aws4_request",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": expires,
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": _signature(ctx, job.pool_id, job.id, amz_date, expires),
    }
    return f"{ctx.base_url}/_import/{job.pool_id}/{job.id}?{urlencode(query)}"


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _denied(message: str = "Access Denied") -> Response:
    return _s3_error(403, "AccessDenied", message)


def _url_refusal(ctx: Context, request: Request, pool_id: str, job_id: str) -> Response | None:
    """None if the URL's signature is right and unexpired; else S3's 403."""
    params = request.query_params
    amz_date = params.get("X-Amz-Date", "")
    expires = params.get("X-Amz-Expires", "")
    given = params.get("X-Amz-Signature", "")
    expected = _signature(ctx, pool_id, job_id, amz_date, expires)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _denied()
    signed_at = datetime.strptime(amz_date, _DATE_FORMAT).replace(tzinfo=UTC)
    if ctx.clock() > signed_at + timedelta(seconds=int(expires)):
        return _denied("Request has expired")
    return None


async def upload_csv(request: Request) -> Response:
    """Store the request body as the job's CSV file (replacing an earlier upload) while the
    job is Created; S3's answers otherwise."""
    ctx: Context = request.app.state.ctx
    pool_id = request.path_params["pool_id"]
    job_id = request.path_params["job_id"]
    refusal = _url_refusal(ctx, request, pool_id, job_id)
    if refusal is not None:
        return refusal
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        return _too_large()
    async with ctx.store.read() as conn:
        job = await job_store.get_job(conn, pool_id, job_id)
    if job is None or job.status_at(ctx.clock()) is not ImportStatus.CREATED:
        return _denied()
    upload_id = secrets.token_hex(16)
    try:
        digest = await _store_body(ctx, request, job_id, upload_id)
        if digest is None:
            await _abandon(ctx, job_id, upload_id)
            return _too_large()
        if not await _adopt(ctx, job_id, upload_id):
            await _abandon(ctx, job_id, upload_id)
            return _denied()
    except (ClientDisconnect, anyio.get_cancelled_exc_class()):
        with anyio.CancelScope(shield=True):
            await _abandon(ctx, job_id, upload_id)
        raise
    return Response(status_code=200, headers={"ETag": f'"{digest}"'})


def _too_large() -> Response:
    return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")


async def _store_body(ctx: Context, request: Request, job_id: str, upload_id: str) -> str | None:
    """Write the body in pieces; its MD5 (S3's ETag), or None once it passes MAX_FILE_BYTES."""
    digest = hashlib.md5(usedforsecurity=False)
    pending = bytearray()
    size = 0
    seq = 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_FILE_BYTES:
            return None
        digest.update(part)
        pending += part
        while len(pending) >= _CHUNK_BYTES:
            await _write_chunk(ctx, job_id, upload_id, seq, bytes(pending[:_CHUNK_BYTES]))
            del pending[:_CHUNK_BYTES]
            seq += 1
    if pending:
        await _write_chunk(ctx, job_id, upload_id, seq, bytes(pending))
    return digest.hexdigest()


async def _write_chunk(ctx: Context, job_id: str, upload_id: str, seq: int, data: bytes) -> None:
    async with ctx.store.begin() as conn:
        await job_store.add_chunk(conn, job_id, upload_id, seq, data)


async def _adopt(ctx: Context, job_id: str, upload_id: str) -> bool:
    """Make the upload the job's file if the job is still Created; drop any earlier upload."""
    async with ctx.store.begin() as conn:
        if not await job_store.move(conn, job_id, when={ImportStatus.CREATED}, upload_id=upload_id):
            return False
        await job_store.delete_chunks(conn, job_id, except_upload=upload_id)
    return True


async def _abandon(ctx: Context, job_id: str, upload_id: str) -> None:
    async with ctx.store.begin() as conn:
        await job_store.delete_upload(conn, job_id, upload_id)
