"""The public tip pages (举报), open to everyone without an account and usable without JavaScript on a phone:

- ``GET /tip``: the form (category, place, text, anonymous or named, up to 5 photos); ``POST /tip`` submits
  it as multipart form data through the same reading, photo judging and service as ``POST /api/v1/tips``
  and shows the tracking code once;
- ``GET /tip/status``: a form for the tracking code; ``POST /tip/status`` shows the tip's status, the
  outcome reply and the messages exchanged; ``POST /tip/message`` writes to the staff by the code alone.

The code always travels in a POST body, never in a URL (no server log, history or ``Referer`` holds it).
Every form carries a CSRF token bound to a random cookie of the browser (as the sign-in form does). The
per-address limits of :class:`yingji.tips.api.TipGate` and the edge's body limits apply to these routes as
to the API's (``yingji.edge``); nothing the reporter typed is shown back unescaped (Jinja autoescape).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from yingji.api_common import SessionDep, SettingsDep
from yingji.auth.security import csrf_token as make_csrf_token
from yingji.config import Settings
from yingji.db import utcnow
from yingji.errors import Conflict, DomainError, InvalidInput, NotFound
from yingji.tips import categories, deps, handling, photos, service
from yingji.tips.schemas import ActionIn, RewardClaimIn
from yingji.web.forms import form_fields, required, text_field
from yingji.web.i18n import translator
from yingji.web.pages import (
    CSRF_COOKIE,
    TEMPLATES,
    Csrf,
    LenientPostDep,
    PageCtx,
    form_action,
    language,
    page_ctx,
    render,
    to_login,
)

router = APIRouter(include_in_schema=False)
FORM_PATH, STATUS_PATH, MESSAGE_PATH, CLAIM_PATH = "/tip", "/tip/status", "/tip/message", "/tip/reward"
STATISTICS_PATH = "/tip/statistics"


def _csrf(nonce: str, settings: Settings, key: str | None = None) -> str:
    secret = key if key is not None else settings.secret_key.get_secret_value()
    return make_csrf_token(secret=secret, binding=f"tip:{nonce}")


def _csrf_ok(request: Request, settings: Settings, token: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not token:
        return False
    return any(secrets.compare_digest(_csrf(nonce, settings, key), token) for key in settings.secret_keys)


def _page(request: Request, settings: Settings, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    lang = language(request, settings)
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    t = translator(lang)
    cats = [(name, entry.get(lang) or entry["zh"]) for name, entry in categories.catalogue().items()]
    limits = {"max_photos": photos.MAX_PHOTOS, "max_mb": photos.MAX_PHOTO_BYTES // (1024 * 1024)}
    context = {"t": t, "lang": lang, "csrf": _csrf(nonce, settings), "categories": cats, **limits, **values}
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=settings.env == "production")
    return response


def _form_page(request: Request, session: Any, settings: Settings, status_code: int = 200, **values: Any) -> Response:
    places = service.public_places(session=session)
    return _page(request, settings, "tip_form.html", status_code, places=places, form=values.pop("form", {}), **values)


@router.get(FORM_PATH, response_class=HTMLResponse)
def tip_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return _form_page(request, session, settings)


def _error_text(exc: Exception, t: Any) -> str:
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = next((str(p) for p in first.get("loc", ()) if str(p) in deps.FORM_FIELDS), "")
        label = t(f"tip.field.{field}") if field else ""
        return f"{label}: {first.get('msg', '')}" if label else str(first.get("msg", ""))
    field = getattr(exc, "extras", {}).get("field", "") if isinstance(exc, DomainError) else ""
    label = t(f"tip.field.{field}") if field in deps.FORM_FIELDS else ""
    label = t("tip.field.photos_label") if field == "photos" else label
    return f"{label}: {exc}" if label else str(exc)


@router.post(FORM_PATH, response_class=HTMLResponse)
async def tip_submit(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    t = translator(language(request, settings))
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _form_page(request, session, settings, 415, error=t("tip.error.form"))
    try:
        form = await request.form(max_files=photos.MAX_PHOTOS + 1, max_fields=len(deps.FORM_FIELDS) + 6)
        csrf = form.get("csrf_token")
        keep = {k: v for k, v in form.multi_items() if (k in deps.FORM_FIELDS or k == "named") and isinstance(v, str)}
    except StarletteHTTPException as exc:  # a malformed form, or too many parts: the form again, with a message
        if exc.status_code == 413:
            raise  # past the body limit: the edge answers 413
        return _form_page(request, session, settings, 422, error=t("tip.error.form"))
    if not _csrf_ok(request, settings, csrf if isinstance(csrf, str) else None):
        await form.close()
        return _form_page(request, session, settings, 403, error=t("error.csrf"), form=keep)
    try:
        # The form's checkbox sends "on" when ticked and nothing when not: "named" is the explicit choice.
        tip_in, cleaned = await deps.read_form(request, form=form, defaults={"anonymous": "true"},
                                              rename={"named": ("anonymous", "false")})  # fmt: skip
        directory = deps.photo_dir(settings)
        tip, code = await run_in_threadpool(
            lambda: service.submit(
                session=session, scope=service.PUBLIC, tip_in=tip_in, photos=cleaned, photo_dir=directory
            )
        )
    except (RequestValidationError, DomainError) as exc:
        return _form_page(request, session, settings, 422, error=_error_text(exc, t), form=keep)
    return _page(request, settings, "tip_receipt.html", 201, code=code, tip=tip)


@router.get(STATISTICS_PATH, response_class=HTMLResponse)
def statistics_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{6})?$")] = None,
) -> Response:
    """Public figures of tips and of enforcement (no sign-in, no script): the same numbers as
    ``GET /api/v1/tips/public/statistics`` and ``GET /api/v1/enforcement/public/statistics``, small counts
    withheld."""
    from yingji.enforcement.cases import service as enforcement_cases

    try:
        tips = service.statistics(session=session, division=division)
        enforcement = enforcement_cases.public_statistics(session=session, division=division)
    except NotFound:
        t = translator(language(request, settings))
        return _page(request, settings, "tip_statistics.html", 404, error=t("error.not_found"), tips=None,
                     enforcement=None, places=service.public_places(session=session), division=division)  # fmt: skip
    return _page(request, settings, "tip_statistics.html", tips=tips, enforcement=enforcement, division=division,
                 places=service.public_places(session=session))  # fmt: skip


@router.get(STATUS_PATH, response_class=HTMLResponse)
def status_form(request: Request, settings: SettingsDep) -> Response:
    return _page(request, settings, "tip_status.html")


def _status_page(request: Request, session: Any, settings: Settings, code: str, **values: Any) -> Response:
    t = translator(language(request, settings))
    try:
        tip, division_name = service.status(session=session, tracking_code=code)
    except NotFound:
        return _page(request, settings, "tip_status.html", 404, error=t("tip.error.unknown_code"))
    exchanged = service.messages(session=session, tip_id=tip.id)
    reward = service.reward_of(session=session, tip_id=tip.id)
    shown = reward if reward is not None and reward.status != "proposed" else None  # a proposal is not shown
    return _page(request, settings, "tip_status.html", tip=tip, division_name=division_name, messages=exchanged,
                 code=code, reward=shown, **values)  # fmt: skip


@dataclass(frozen=True)
class _CodePost:
    """A public form's post on a tracking code: the request, its session and settings, the code, the CSRF token."""

    request: Request
    session: Any
    settings: Settings
    code: str
    csrf_token: str


def _code_post(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: str = text_field(40),
    csrf_token: Csrf = "",
) -> _CodePost:
    return _CodePost(request, session, settings, code, csrf_token)


CodePostDep = Annotated[_CodePost, Depends(_code_post)]


def _on_code(post: _CodePost, act: Callable[[str, Any], dict[str, Any]]) -> Response:
    """A public form on a tracking code: the CSRF token checked (403), then ``act(code, t)`` — it returns the status
    page's further values — and the status page shown; a code that names no tip is 404."""
    request, settings = post.request, post.settings
    t = translator(language(request, settings))
    if not _csrf_ok(request, settings, post.csrf_token):
        return _page(request, settings, "tip_status.html", 403, error=t("error.csrf"))
    code = post.code.strip()
    try:
        values = act(code, t)
    except NotFound:
        return _page(request, settings, "tip_status.html", 404, error=t("tip.error.unknown_code"))
    return _status_page(request, post.session, settings, code, **values)


@router.post(STATUS_PATH, response_class=HTMLResponse)
def status_submit(post: CodePostDep) -> Response:
    return _on_code(post, lambda _code, _t: {})


@router.post(MESSAGE_PATH, response_class=HTMLResponse)
def message_submit(post: CodePostDep, text: str = text_field(2000)) -> Response:
    def act(code: str, t: Any) -> dict[str, Any]:
        if not text.strip():
            return {"message_error": t("error.required")}
        service.reporter_message(session=post.session, tracking_code=code, text=text.strip())
        return {"sent": True}

    return _on_code(post, act)


@router.post(CLAIM_PATH, response_class=HTMLResponse)
def claim_submit(post: CodePostDep, name: str = text_field(100), phone: str = text_field(32)) -> Response:
    """The code's holder claims an approved reward, naming who is to be paid (seen by the paying officer only)."""

    def act(code: str, t: Any) -> dict[str, Any]:
        try:
            claim = RewardClaimIn(name=name.strip(), phone=phone.strip())
        except ValidationError:
            return {"claim_error": t("tip.reward.claim_invalid")}
        try:
            service.claim_reward(session=post.session, tracking_code=code, name=claim.name, phone=claim.phone)
        except Conflict:
            return {"claim_error": t("tip.reward.not_claimable")}
        return {"claimed": True}

    return _on_code(post, act)


# -- the staff inbox (signed in, tips:read, the caller's jurisdiction) ----------------------------------------


def _inbox_ctx(request: Request, session: Any, settings: Settings) -> PageCtx | Response:
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return to_login(request)
    if "tips:read" not in ctx.scope.permissions:
        return render(ctx, "error.html", status_code=403, message=ctx.t("tips.forbidden"))
    return ctx


@router.get("/tips", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The tips of the caller's jurisdiction, newest first, with their clocks and duplicate groups (no
    reporter identity: that is read through the API with its own permission, audited)."""
    ctx = _inbox_ctx(request, session, settings)
    if not isinstance(ctx, PageCtx):
        return ctx
    rows, total = service.list_tips(session=session, scope=ctx.scope, status_is=None, limit=200, offset=0)
    today = utcnow().date()
    clocks = {t.id: service.clocks_of(t, today) for t in rows}
    groups = service.duplicate_groups(session=session, scope=ctx.scope, days=90)
    group_of = {tip_id: n for n, group in enumerate(groups, 1) for tip_id in group}
    cats = {name: entry.get(ctx.lang) or entry["zh"] for name, entry in categories.catalogue().items()}
    return render(ctx, "tips_inbox.html", tips=rows, total=total, clocks=clocks, group_of=group_of,
                  groups=groups, categories=cats, nav="tips")  # fmt: skip


def _tip_view(ctx: PageCtx, session: Any, tip_id: int, status: int = 200) -> HTMLResponse:
    try:
        tip = service.get(session=session, scope=ctx.scope, tip_id=tip_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    cats = {name: entry.get(ctx.lang) or entry["zh"] for name, entry in categories.catalogue().items()}
    return render(ctx, "tips_detail.html", status_code=status, tip=tip,
                  clocks=service.clocks_of(tip, utcnow().date()),
                  messages=service.messages(session=session, tip_id=tip.id),
                  reward=service.reward_of(session=session, tip_id=tip.id), categories=cats,
                  may_handle=service.HANDLE_PERMISSION in ctx.scope.permissions, moves=handling.MOVES,
                  outcomes=handling.OUTCOMES[:3], nav="tips")  # fmt: skip


@router.get("/tips/{tip_id}", response_class=HTMLResponse)
def tip_page(tip_id: int, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx = _inbox_ctx(request, session, settings)
    if not isinstance(ctx, PageCtx):
        return ctx
    return _tip_view(ctx, session, tip_id)


@router.post("/tips/{tip_id}/act", response_class=HTMLResponse)
def act_action(
    tip_id: int, post: LenientPostDep, form: dict[str, str] = form_fields(action=16, outcome=32, reply=2000)
) -> Response:
    """Handle the tip as ``POST /api/v1/tips/inbox/{id}/actions`` (tips:handle): accept, reject, verify,
    extend, close (closing and rejecting carry the reply the reporter reads)."""

    def act(ctx: PageCtx, session: Any) -> None:
        try:
            body = ActionIn.model_validate({**form, "outcome": form["outcome"] or None, "reply": form["reply"] or None})
        except ValidationError as exc:
            raise InvalidInput(str(exc.errors()[0].get("msg", "")), field="action") from None
        service.act(session=session, scope=ctx.scope, tip_id=tip_id, action_in=body)

    return _tip_form(post, tip_id, act)


@router.post("/tips/{tip_id}/message", response_class=HTMLResponse)
def staff_message_action(tip_id: int, post: LenientPostDep, text: str = text_field(2000)) -> Response:
    """Write to the reporter (read with the tracking code), as ``POST /api/v1/tips/inbox/{id}/messages``."""

    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, text=text)
        service.staff_message(session=session, scope=ctx.scope, tip_id=tip_id, text=text.strip())

    return _tip_form(post, tip_id, act)


def _tip_form(post: Any, tip_id: int, act: Callable[[PageCtx, Any], None]) -> Response:
    """A staff form on a tip: ``act`` in its own transaction, the tip's page again with the error when refused."""
    return form_action(
        post, act, lambda ctx, session, status: _tip_view(ctx, session, tip_id, status), f"/tips/{tip_id}"
    )
