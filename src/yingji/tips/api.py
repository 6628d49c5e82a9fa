"""Tips routes: public intake and status by tracking code; the staff inbox (scoped, identity audited).

:class:`TipGate` counts submissions and status reads per client address before a body is read (the
address is the peer's, or the one a trusted proxy names: ``yingji.edge.proxy_options``).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi import Path as PathParam
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep, SettingsDep
from yingji.auth.ratelimit import FixedWindow, WindowLimits
from yingji.config import Settings
from yingji.db import utcnow
from yingji.edge import RefusalPacer
from yingji.errors import InvalidInput
from yingji.tips import photos, service
from yingji.tips.deps import FORM_FIELDS, photo_dir, read_form, tip_in_of
from yingji.tips.models import Tip
from yingji.tips.schemas import (
    ActionIn,
    ClockRead,
    MessageIn,
    MessageRead,
    PhotoRead,
    PromoteIn,
    ReporterRead,
    RewardClaimIn,
    RewardIn,
    RewardPaid,
    RewardPayIn,
    RewardPublic,
    RewardRead,
    TipIn,
    TipRead,
    TipReceipt,
    TipStatistics,
    TipStatus,
)
from yingji.web.headers import route_path

router = APIRouter(prefix="/api/v1/tips", tags=["tips"])
SUBMIT_PATH = router.prefix
PAGE_SUBMIT_PATH, PAGE_READ_PATHS = (
    "/tip",
    ("/tip/status", "/tip/message", "/tip/reward"),
)  # the public pages (tips.pages)
_FORM_SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string", "maxLength": 5000 if name == "text" else 100} for name in FORM_FIELDS},
        "photos": {
            "type": "array",
            "items": {"type": "string", "format": "binary", "maxLength": photos.MAX_PHOTO_BYTES},
            "maxItems": photos.MAX_PHOTOS,
        },
    },
    "required": ["category", "text"],
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": TipIn.model_json_schema()},
            "multipart/form-data": {"schema": _FORM_SCHEMA},
        },
    }
}


async def _read_json(request: Request) -> tuple[TipIn, list[photos.CleanPhoto]]:
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return tip_in_of(data), []


@router.post(
    "",
    response_model=TipReceipt,
    status_code=status.HTTP_201_CREATED,
    operation_id="tips_submit",
    openapi_extra=_BODY,
)
async def submit_tip(request: Request, session: SessionDep, settings: SettingsDep) -> TipReceipt:
    """Submit a public tip (举报) without signing in, as JSON or as multipart form data with up to 5 photos
    (JPEG or PNG, ≤ 5 MB each, re-encoded). Answers the tracking code, shown only this once."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        tip_in, cleaned = await read_form(request)
    else:
        tip_in, cleaned = await _read_json(request)
    tip, code = await run_in_threadpool(
        lambda: service.submit(
            session=session, scope=service.PUBLIC, tip_in=tip_in, photos=cleaned, photo_dir=photo_dir(settings)
        )
    )
    return TipReceipt(tracking_code=code, status=tip.status, created_at=tip.created_at)


def _tip_out(tip: Tip) -> TipRead:
    clocks = [ClockRead.model_validate(c) for c in service.clocks_of(tip, utcnow().date())]
    photos = [PhotoRead.model_validate(p) for p in tip.photos]
    return TipRead.model_validate(tip).model_copy(update={"photos": photos, "clocks": clocks})


@router.get("", response_model=Page[TipRead], operation_id="tips_list")
def list_tips(
    req: ListRequestDep, status_is: Annotated[str | None, Query(alias="status", max_length=16)] = None
) -> Page[TipRead]:
    """Tips in the caller's jurisdiction, newest first (needs tips:read; no reporter identity)."""
    return req.of(service.list_tips, _tip_out, status_is=status_is)


@router.get("/inbox/groups", response_model=list[list[int]], operation_id="tips_duplicate_groups")
def duplicate_groups(
    session: SessionDep, scope: ScopeDep, days: Annotated[int, Query(ge=1, le=365)] = 90
) -> list[list[int]]:
    """Probable duplicates among the caller's tips of the last `days` days: same category, close in place and
    time, similar text; each group lists tip ids, oldest first."""
    return service.duplicate_groups(session=session, scope=scope, days=days)


@router.get("/public/statistics", response_model=TipStatistics, operation_id="tips_statistics")
def statistics(
    session: SessionDep, division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{6})?$")] = None
) -> TipStatistics:
    """Public counts of tips by category, status and outcome (no sign-in); counts from 1 to 4 are withheld so
    that no reporter can be singled out."""
    return TipStatistics.model_validate(service.statistics(session=session, division=division))


@router.get("/inbox/{tip_id}", response_model=TipRead, operation_id="tips_get")
def get_tip(tip_id: IdPath, session: SessionDep, scope: ScopeDep) -> TipRead:
    """One tip of the caller's jurisdiction (404 outside; no reporter identity)."""
    return _tip_out(service.get(session=session, scope=scope, tip_id=tip_id))


@router.post("/inbox/{tip_id}/reporter", response_model=ReporterRead, operation_id="tips_reporter")
def read_reporter(tip_id: IdPath, session: SessionDep, scope: ScopeDep) -> ReporterRead:
    """Who reported the tip (needs tips:identity). A POST: every disclosure writes an audit entry."""
    tip = service.reporter(session=session, scope=scope, tip_id=tip_id)
    return ReporterRead(anonymous=tip.anonymous, name=tip.reporter_name, phone=tip.reporter_phone)


@router.post("/inbox/{tip_id}/actions", response_model=TipRead, operation_id="tips_act")
def act(tip_id: IdPath, body: ActionIn, session: SessionDep, scope: ScopeDep) -> TipRead:
    """Handle the tip: accept, reject, assign, extend (once), verify, close (needs tips:handle); closing and
    rejecting carry the reply the reporter reads with the tracking code."""
    return _tip_out(service.act(session=session, scope=scope, tip_id=tip_id, action_in=body))


@router.get("/inbox/{tip_id}/messages", response_model=list[MessageRead], operation_id="tips_messages")
def list_messages(tip_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[MessageRead]:
    """Messages exchanged with the reporter through the tracking code."""
    tip = service.get(session=session, scope=scope, tip_id=tip_id)
    return [MessageRead.model_validate(m) for m in service.messages(session=session, tip_id=tip.id)]


@router.post("/inbox/{tip_id}/messages", response_model=MessageRead, status_code=status.HTTP_201_CREATED,
             operation_id="tips_message_staff")  # fmt: skip
def staff_message(tip_id: IdPath, body: MessageIn, session: SessionDep, scope: ScopeDep) -> MessageRead:
    """Write to the reporter (a question, an answer); they read it with the tracking code."""
    row = service.staff_message(session=session, scope=scope, tip_id=tip_id, text=body.text)
    return MessageRead.model_validate(row)


@router.post("/inbox/{tip_id}/promote", response_model=TipRead, operation_id="tips_promote")
def promote(tip_id: IdPath, body: PromoteIn, session: SessionDep, scope: ScopeDep) -> TipRead:
    """Make the tip a hazard of the work-safety register or a penalty case (立案) of an enterprise."""
    return _tip_out(service.promote(session=session, scope=scope, tip_id=tip_id, promote_in=body))


@router.post("/{tracking_code}/messages", response_model=MessageRead, status_code=status.HTTP_201_CREATED,
             operation_id="tips_message_reporter")  # fmt: skip
def reporter_message(
    tracking_code: Annotated[str, PathParam(max_length=40)], body: MessageIn, session: SessionDep
) -> MessageRead:
    """The reporter writes to the staff, with the tracking code alone (public, rate-limited per address)."""
    return MessageRead.model_validate(
        service.reporter_message(session=session, tracking_code=tracking_code, text=body.text)
    )


@router.post("/inbox/{tip_id}/reward", response_model=RewardRead, status_code=status.HTTP_201_CREATED,
             operation_id="tips_reward_propose")  # fmt: skip
def propose_reward(tip_id: IdPath, body: RewardIn, session: SessionDep, scope: ScopeDep) -> RewardRead:
    """Propose the reward (举报奖励) of a tip closed as substantiated; the amount follows the rules
    (standards/tips/rewards.yaml) with its basis (needs tips:handle)."""
    return RewardRead.model_validate(service.propose_reward(session=session, scope=scope, tip_id=tip_id,
                                                            reward_in=body))  # fmt: skip


@router.get("/inbox/{tip_id}/reward", response_model=RewardRead, operation_id="tips_reward_get")
def get_reward(tip_id: IdPath, session: SessionDep, scope: ScopeDep) -> RewardRead:
    """The tip's reward (no claimant)."""
    return RewardRead.model_validate(service.reward_view(session=session, scope=scope, tip_id=tip_id))


@router.post("/inbox/{tip_id}/reward/approve", response_model=RewardRead, operation_id="tips_reward_approve")
def approve_reward(tip_id: IdPath, session: SessionDep, scope: ScopeDep) -> RewardRead:
    """Approve a proposed reward (needs tips:reward; not by its proposer)."""
    return RewardRead.model_validate(service.approve_reward(session=session, scope=scope, tip_id=tip_id))


@router.post("/inbox/{tip_id}/reward/pay", response_model=RewardPaid, operation_id="tips_reward_pay")
def pay_reward(tip_id: IdPath, body: RewardPayIn, session: SessionDep, scope: ScopeDep) -> RewardPaid:
    """Record the payment of a claimed reward (needs tips:reward; not by its proposer). The answer names the
    claimant to be paid: the only place it is shown, and the disclosure is audited."""
    row = service.pay_reward(session=session, scope=scope, tip_id=tip_id, payment_ref=body.payment_ref)
    return RewardPaid.model_validate(row)


@router.post("/{tracking_code}/reward/claim", response_model=RewardPublic, operation_id="tips_reward_claim")
def claim_reward(
    tracking_code: Annotated[str, PathParam(max_length=40)], body: RewardClaimIn, session: SessionDep
) -> RewardPublic:
    """The tracking code's holder claims an approved reward, naming who is to be paid (public, rate-limited
    per address with the status reads)."""
    row = service.claim_reward(session=session, tracking_code=tracking_code, name=body.name, phone=body.phone)
    return RewardPublic.model_validate(row)


@router.get("/{tracking_code}", response_model=TipStatus, operation_id="tips_status")
def tip_status(tracking_code: Annotated[str, PathParam(max_length=40)], session: SessionDep) -> TipStatus:
    """The status of a tip, by its tracking code alone (public, rate-limited per address); nothing in the
    answer identifies the reporter."""
    tip, division_name = service.status(session=session, tracking_code=tracking_code)
    exchanged = [MessageRead.model_validate(m) for m in service.messages(session=session, tip_id=tip.id)]
    return TipStatus(status=tip.status, category=tip.category, division_code=tip.division_code,
                     division_name=division_name, created_at=tip.created_at, updated_at=tip.updated_at,
                     outcome=tip.outcome, reply=tip.reply, messages=exchanged,
                     reward=_public_reward(session, tip.id))  # fmt: skip


def _public_reward(session: Session, tip_id: int) -> RewardPublic | None:
    """The reward as the code's holder sees it, once approved (a proposal is not yet the bureau's word)."""
    row = service.reward_of(session=session, tip_id=tip_id)
    if row is None or row.status == "proposed":
        return None
    return RewardPublic.model_validate(row)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class TipGate:
    """Per-address limits on the public tip routes, checked before the body is read (answers 429 with
    ``Retry-After``): submissions per ``YINGJI_TIPS_WINDOW_S``, status reads, messages and reward claims per
    minute. Counted by ``limits`` (``auth.ratelimit.WindowLimits``), shared by every server process through
    Redis or the database; without ``limits`` (a bare app), in this process."""

    SUBMISSIONS, READS = "tips-submit", "tips-read"

    def __init__(
        self, app: ASGIApp, settings: Settings, limits: WindowLimits | None = None, pacer: RefusalPacer | None = None
    ) -> None:
        self.app = app
        self.limits = limits if limits is not None else WindowLimits(None)
        self.pacer = pacer  # refusals past an address's free ones answered late (edge.RefusalPacer)
        self.windows = {
            self.SUBMISSIONS: FixedWindow(settings.tips_per_address, float(settings.tips_window_s)),
            self.READS: FixedWindow(settings.tip_status_reads_per_minute, 60.0),
        }

    def _window(self, method: str, path: str) -> str | None:
        if method == "POST" and path.rstrip("/") in (SUBMIT_PATH, PAGE_SUBMIT_PATH):
            return self.SUBMISSIONS
        if method == "POST" and path.rstrip("/") in PAGE_READ_PATHS:
            return self.READS  # the public pages' status look-up and messages, counted with the API's reads
        rest = path.removeprefix(SUBMIT_PATH + "/")
        if method in ("GET", "HEAD") and rest != path and rest and "/" not in rest and not rest.isdigit():
            return self.READS
        code, _, tail = rest.partition("/")
        if method == "POST" and rest != path and tail in ("messages", "reward/claim") and code and code != "inbox":
            return self.READS  # the reporter's messages: by tracking code, counted with the status reads
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = self._window(scope["method"], route_path(scope)) if scope["type"] == "http" else None
        wait = 0
        if name is not None:
            client = _client(scope)
            # a window this process knows is full is refused here; else one short Redis or database step
            wait = self.limits.noted(name, client) or await run_in_threadpool(
                self.limits.admit, name, client, self.windows[name]
            )
        if not wait:
            await self.app(scope, receive, send)
            return
        if self.pacer is not None:
            await self.pacer.pace(scope)
        body = json.dumps({"type": "about:blank#too_many_requests", "title": "Too many requests", "status": 429,
                           "detail": f"too many requests from this address; try again in {wait} s",
                           "code": "too_many_requests"}).encode()  # fmt: skip
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                   (b"retry-after", str(wait).encode()), (b"connection", b"close")]  # fmt: skip
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
