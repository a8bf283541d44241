"""A user's calls counted against Cognito's per-user API quotas (domain/quotas.py).

The count is a row of `one_time_codes` (store/codes.py `take_send`), so every server sharing
the database sees one count (DESIGN §0), and it is taken in the caller's transaction: the call
over the quota rolls back and changes nothing, a counted one is committed with what the call
did, including a wrong guess that the caller commits before raising. A call the operation
refuses later in that transaction (a user already confirmed, an attribute the user lacks)
rolls its count back too: it tried no code and sent nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain import codes, quotas
from cognate.domain.user import User
from cognate.errors import LimitExceededException
from cognate.store import codes as code_store


async def count_call(ctx: Context, conn: AsyncConnection, user: User, quota: quotas.Quota) -> None:
    """Count one call of `quota`'s operation by `user`; LimitExceededException (nothing
    counted: the transaction must roll back) once the user's calls of this window are spent."""
    has_quota = await code_store.take_send(
        conn,
        user_id=user.id,
        budget_purpose=quota,
        now=ctx.clock(),
        window=quotas.WINDOW,
        limit=quotas.LIMITS[quota],
    )
    if not has_quota:
        raise LimitExceededException(codes.LIMIT_MESSAGE)
