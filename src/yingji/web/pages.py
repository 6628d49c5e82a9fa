"""The web pages (server-rendered, Jinja2). Cookie sessions with CSRF double-submit tokens; every page
and fragment reads through the same scoped services as the API, so a page never shows another
jurisdiction's rows."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from yingji.api_common import SessionDep, SettingsDep
from yingji.auth import deps as auth_deps
from yingji.auth import service as auth_service
from yingji.auth.scope import Scope
from yingji.auth.security import csrf_token as make_csrf_token
from yingji.auth.security import issue_access_token, read_access_token, session_csrf_token, session_csrf_tokens
from yingji.config import Settings
from yingji.db import utcnow
from yingji.errors import DomainError, InvalidInput, NotFound, Unauthorized
from yingji.geo import service as division_service
from yingji.web import clock, layers, legends
from yingji.web.forms import text_field
from yingji.web.headers import route_path
from yingji.web.i18n import LANGUAGES, client_messages, page_message, translator

M = TypeVar("M", bound=BaseModel)

router = APIRouter(include_in_schema=False)


def root_of(request: Request) -> str:
    """The deployment's path prefix (``YINGJI_ROOT_PATH``; empty at the root of the host name): every link,
    form, script and redirect of the pages starts with it."""
    return str(request.scope.get("root_path", ""))


def _root_context(request: Request) -> dict[str, Any]:
    return {"root": root_of(request)}  # templates write {{ root }}/path for every link of their own


TEMPLATES = Jinja2Templates(
    directory=str(files("yingji.web").joinpath("templates")), context_processors=[_root_context]
)
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
DEFAULT_ZONE = "Asia/Shanghai"


@pass_context
def _local(context: Any, value: dt.datetime | None) -> str:
    """Times are shown in the zone of ``YINGJI_TIMEZONE`` (default Asia/Shanghai, the duty officers' clock)
    as YYYY-MM-DD HH:MM (``render`` puts the zone in every page's context)."""
    return clock.show(value, str(context.get("time_zone") or DEFAULT_ZONE))


@pass_context
def _field_error(context: Any, name: str) -> Markup:
    """A form field's error beside it (``{{ err('field') }}`` in a template): empty when it has none."""
    message = context["ctx"].errors.get(name)
    if not message:
        return Markup("")
    return Markup('<span class="field-error" role="alert" data-field="{}">{}</span>').format(name, message)


@pass_context
def _post_form(context: Any, action: str, **attrs: str) -> Markup:
    """A page form's opening (``{{ post_form('/path', cls=…, id=…) }}`` … ``</form>``): a POST to the
    deployment's ``root`` + ``action``, its attributes in the order given, and the session's CSRF field."""
    html = Markup('<form method="post" action="{}{}"').format(context.get("root", ""), action)
    for name, value in attrs.items():
        html += Markup(' {}="{}"').format("class" if name == "cls" else name, value)
    return html + Markup('><input type="hidden" name="csrf_token" value="{}">').format(context["ctx"].csrf)


TEMPLATES.env.filters["local"] = _local
TEMPLATES.env.globals["post_form"] = _post_form
TEMPLATES.env.globals["err"] = _field_error
TEMPLATES.env.globals["layer_legend"] = legends.entries
TOKEN_COOKIE, CSRF_COOKIE, LANG_COOKIE = "yingji_token", "yingji_csrf", "yingji_lang"


def static_mounts() -> list[tuple[str, StaticFiles]]:
    import xstatic.pkg.leaflet as leaflet

    return [
        ("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR)),
        ("/static", StaticFiles(directory=str(files("yingji.web").joinpath("static")))),
    ]


@dataclass
class PageCtx:
    request: Request
    scope: Scope
    lang: str
    csrf: str
    user_label: str
    jurisdiction: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def t(self) -> Any:
        return translator(self.lang)

    def error_text(self, error: DomainError) -> str:
        """A domain error in the reader's language (``i18n.page_message``)."""
        return page_message(self.t, self.lang, error)


def language(request: Request, settings: Settings) -> str:
    lang = request.cookies.get(LANG_COOKIE) or settings.language
    return lang if lang in LANGUAGES else "zh"


def page_ctx(request: Request, session: Session, settings: Settings) -> PageCtx | None:
    """The signed-in user's page context, or None (the caller redirects to the login page)."""
    try:
        scope = auth_deps.scope_from_token(
            request=request, session=session, settings=settings, token=request.cookies.get(TOKEN_COOKIE)
        )
    except DomainError:
        return None
    division = division_service.get_unscoped(session=session, code=scope.division_code)
    user = auth_service.get_by_username(session=session, username=scope.actor)
    bbox = None
    if division.min_lon is not None:
        bbox = [division.min_lon, division.min_lat, division.max_lon, division.max_lat]
    return PageCtx(
        request=request,
        scope=scope,
        lang=language(request, settings),
        csrf=session_csrf_token(request.cookies.get(TOKEN_COOKIE), secret=settings.secret_keys) or "",
        user_label=(user.display_name if user and user.display_name else scope.actor),
        jurisdiction={
            "code": division.code,
            "name": division.name,
            "level": division.level,
            "bbox": bbox,
            "lon": division.lon,
            "lat": division.lat,
        },
    )


class SignInRequired(Exception):
    """Nobody is signed in on a page that needs it: answered by a redirect to the login page."""


def signed_in(request: Request, session: SessionDep, settings: SettingsDep) -> PageCtx:
    """The page dependency: the signed-in user's context, else :class:`SignInRequired`."""
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        raise SignInRequired
    return ctx


ViewerDep = Annotated[PageCtx, Depends(signed_in)]
Csrf = Annotated[str, Form(max_length=100)]  # a form's CSRF token field


async def sign_in_redirect(request: Request, _exc: Exception) -> Response:
    return to_login(request)


def tile_config(settings: Settings) -> dict[str, Any]:
    """The base map's tile settings for the page scripts (``YINGJI.tiles``; ``app.js`` builds every map)."""
    if not settings.tile_url:
        return {}
    return {
        "url": settings.tile_url,
        "crs": settings.tile_crs,
        "subdomains": settings.tile_subdomains,
        "key": settings.tile_key or "",
        "attribution": settings.tile_attribution,
        "maxZoom": settings.tile_max_zoom,
        "zoomOffset": settings.tile_zoom_offset,
    }


def render(ctx: PageCtx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    settings: Settings = ctx.request.app.state.settings
    response = TEMPLATES.TemplateResponse(
        ctx.request,
        template,
        {
            "ctx": ctx,
            "t": ctx.t,
            "lang": ctx.lang,
            "js_messages": client_messages(ctx.lang),
            "tile_url": settings.tile_url or "",
            "tiles": tile_config(settings),
            "time_zone": settings.timezone,
            "nav_items": [i for i in layers.NAV if i.permission in ctx.scope.permissions],
            **values,
        },
        status_code=status_code,
    )
    _slide_session(ctx.request, response, settings)
    return response


def _slide_session(request: Request, response: Response, settings: Settings) -> None:
    """Re-issue the session cookie once half its life has passed, so an open page stays signed in."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return
    try:
        payload = read_access_token(token, secret=settings.secret_keys)
    except Unauthorized:
        return
    remaining = payload["exp"] - utcnow().timestamp()
    if remaining < settings.access_token_minutes * 30 or not _signed_with_current_key(token, settings):
        _set_session(
            response, str(payload["sub"]), settings, version=int(payload.get("ver", 0)), sid=payload.get("sid")
        )


def _signed_with_current_key(token: str, settings: Settings) -> bool:
    """False for a session signed with a previous key of the ring: re-issued at once, so sessions move to
    the new key during the grace period of a rotation."""
    try:
        read_access_token(token, secret=settings.secret_key.get_secret_value())
    except Unauthorized:
        return False
    return True


def _set_session(
    response: Response, username: str, settings: Settings, *, version: int, sid: str | None = None
) -> None:
    """The session cookie; ``sid`` keeps the sign-in session (and so its CSRF token) when re-issued."""
    token = issue_access_token(
        username=username,
        secret=settings.secret_key.get_secret_value(),
        minutes=settings.access_token_minutes,
        now=utcnow(),
        version=version,
        sid=sid,
    )
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=settings.access_token_minutes * 60,
        secure=settings.env == "production",
    )


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 to a path of the platform (``/incidents/5``), under the deployment's prefix."""
    return RedirectResponse(root_of(request) + path, status_code=303)


def to_login(request: Request) -> RedirectResponse:
    here = root_of(request) + route_path(request.scope)
    return redirect(request, f"/login?next={quote(here)}")


def check_csrf(request: Request, token: str | None) -> bool:
    """``token`` is the CSRF token of the request's own session (bound to it: another session's is refused)."""
    settings: Settings = request.app.state.settings
    accepted = session_csrf_tokens(request.cookies.get(TOKEN_COOKIE), secret=settings.secret_keys)
    return bool(token and any(secrets.compare_digest(expected, token) for expected in accepted))


def _login_csrf(nonce: str, settings: Settings) -> str:
    """The login form's CSRF token, bound to the signed-out browser's random nonce cookie."""
    return make_csrf_token(secret=settings.secret_key.get_secret_value(), binding=f"login:{nonce}")


def _check_login_csrf(request: Request, settings: Settings, token: str | None) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not token:
        return False
    accepted = (make_csrf_token(secret=key, binding=f"login:{nonce}") for key in settings.secret_keys)
    return any(secrets.compare_digest(expected, token) for expected in accepted)


@dataclass(frozen=True)
class FormPost:
    """A page form's post: the request, the settings and the form's CSRF token (checked by ``form_action``)."""

    request: Request
    settings: Settings
    csrf_token: str


def _form_post(request: Request, settings: SettingsDep, csrf_token: Csrf) -> FormPost:
    return FormPost(request, settings, csrf_token)


def _lenient_form_post(request: Request, settings: SettingsDep, csrf_token: Csrf = "") -> FormPost:
    return FormPost(request, settings, csrf_token)


PostDep = Annotated[FormPost, Depends(_form_post)]  # a form post; a missing CSRF field is a 422
LenientPostDep = Annotated[FormPost, Depends(_lenient_form_post)]  # … or refused as a bad token (403)


def form_action(post: FormPost, action: Any, show: Any, success_url: str | Callable[[], str]) -> Response:
    """Run a page form's action in its own transaction. On a domain error the transaction is rolled back
    whole and ``show(ctx, session, status)`` renders the page again, in a fresh transaction, with the
    error next to its field. ``success_url`` may be a function called after the action (to go to what the
    action made)."""
    from yingji.db import transaction

    request, settings, csrf_token = post.request, post.settings, post.csrf_token
    factory = request.app.state.session_factory
    try:
        with transaction(factory) as session:
            ctx = page_ctx(request, session, settings)
            if ctx is None:
                return to_login(request)
            if not check_csrf(request, csrf_token):
                return render(ctx, "error.html", status_code=403, message=ctx.t("error.csrf"))
            action(ctx, session)
    except DomainError as exc:
        with transaction(factory) as session:
            ctx = page_ctx(request, session, settings)
            if ctx is None:
                return to_login(request)
            ctx.errors[str(exc.extra.get("field") or "form")] = ctx.error_text(exc)
            status = exc.status if exc.status < 500 else 422
            return record_page(ctx, lambda: show(ctx, session, status))
    return redirect(request, success_url() if callable(success_url) else success_url)


def check_id(number: int) -> None:
    """An id outside the database's integer range names nothing (and must never reach a query)."""
    if not 1 <= number <= 2_147_483_647:
        raise NotFound("not found")


def first_error(exc: ValidationError, fields: tuple[str, ...] | None = None) -> tuple[str, str]:
    """The form field of a validation error's first problem and its message; ``"form"`` when the problem
    belongs to no single field (a model-level check) or, with ``fields``, to none of the form's fields."""
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first.get("loc") else "form"
    return (name if fields is None or name in fields else "form"), str(first["msg"])


# -- login, logout, language ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _login_form(request, settings, nonce, next)
    response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=settings.env == "production")
    return response


def _csrf_failure_message(request: Request, settings: Settings) -> str:
    """Why the login form's check failed, in words the user can act on: production cookies are ``Secure``,
    so a browser on plain HTTP keeps none (the form's nonce cookie came back missing) — not an expired
    page."""
    refused = settings.env == "production" and request.url.scheme == "http" and CSRF_COOKIE not in request.cookies
    return "login.error.insecure" if refused else "login.error.csrf"


def _safe_next(request: Request, target: str) -> str:
    """Where to go after signing in or switching language: a path of this server (it carries the
    deployment's prefix already), else the map."""
    root = root_of(request)
    inside = not root or target == root or target.startswith(root + "/")
    return target if target.startswith("/") and not target.startswith("//") and inside else root + "/"


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Csrf = "",
    next: str = text_field(500, "/"),
) -> Response:
    lang = language(request, settings)
    t = translator(lang)
    error, status = "", 401
    if not _check_login_csrf(request, settings, csrf_token):
        error, status = t(_csrf_failure_message(request, settings)), 403
    else:
        try:
            user = auth_deps.password_login(
                request=request, session=session, settings=settings, username=username, password=password
            )
        except DomainError as exc:
            error = t("login.error.too_many") if exc.status == 429 else t("login.error.wrong")
            status = exc.status if exc.status == 429 else status
        else:
            response = RedirectResponse(_safe_next(request, next), status_code=303)
            _set_session(response, user.username, settings, version=user.token_version or 0)
            auth_deps.set_device_cookie(response, user.username, settings)
            return response
    return _login_form(request, settings, request.cookies.get(CSRF_COOKIE, ""), next, error, username, status)


def _login_form(
    request: Request, settings: Settings, nonce: str, next: str, error: str = "", username: str = "", status: int = 200
) -> HTMLResponse:
    """The sign-in form (with ``error`` and the name typed when a sign-in failed)."""
    lang = language(request, settings)
    return TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {
            "t": translator(lang),
            "lang": lang,
            "csrf": _login_csrf(nonce, settings),
            "next": _safe_next(request, next),
            "error": error,
            "username": username,
        },
        status_code=status,
    )


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, csrf_token: Csrf = "") -> Response:
    if not check_csrf(request, csrf_token):
        return Response("CSRF check failed", status_code=403)
    ctx = page_ctx(request, session, settings)
    if ctx is not None:  # the session ends on the server too, not only in this browser
        auth_service.revoke_sessions(session=session, scope=ctx.scope)
    response = redirect(request, "/login")
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.post("/session/refresh")
def refresh_session(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Called by open pages every few minutes (CSRF header required): a fresh session cookie."""
    ctx = page_ctx(request, session, settings)
    if ctx is None or not check_csrf(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"ok": False}, status_code=401)
    response = JSONResponse({"ok": True})
    _set_session(response, ctx.scope.actor, settings, version=ctx.scope.token_version)
    return response


@router.get("/lang/{code}")
def set_language(code: str, request: Request) -> Response:
    referer = request.headers.get("referer", "/")
    path = "/" + referer.split("/", 3)[3] if referer.count("/") >= 3 else "/"
    response = RedirectResponse(_safe_next(request, path), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


# -- the map ---------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def map_page(ctx: ViewerDep) -> Response:
    offered = [
        {
            "id": layer.id,
            "label": ctx.t(layer.label_key),
            "url": layer.url,
            "kind": layer.kind,
            "visible": layer.visible,
        }
        for layer in layers.LAYERS
        if layer.permission in ctx.scope.permissions
    ]
    return render(ctx, "map.html", layers=offered, nav="map", map_limit=layers.INCIDENT_MAP_LIMIT)


def now_utc() -> dt.datetime:
    return utcnow()


# -- shared by the page modules ---------------------------------------------------------------------------


def not_found(ctx: PageCtx) -> HTMLResponse:
    """The not-found page: a record that does not exist and one outside the caller's reach look alike."""
    return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))


def record_page(ctx: PageCtx, show: Callable[[], Response]) -> Response:
    """``show()``, a record's page; the not-found page when reading the record raises a domain error."""
    try:
        return show()
    except DomainError:
        return not_found(ctx)


def shown_again(page: Callable[..., HTMLResponse], *args: Any, **values: Any) -> Callable[..., HTMLResponse]:
    """``form_action``'s ``show``: ``page(ctx, session, *args, status_code=status, **values)``, the form's page
    again with its error (and, through ``values``, what was typed)."""
    return lambda ctx, session, status: page(ctx, session, *args, status_code=status, **values)


def validated(model: type[M], values: dict[str, Any], message: str, fields: tuple[str, ...] | None = None) -> M:
    """``model`` read from a page form's ``values``; when it refuses them, ``message`` next to the field of the
    first problem (see ``first_error``)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(message, field=first_error(exc, fields)[0]) from None
