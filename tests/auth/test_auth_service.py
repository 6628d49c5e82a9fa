import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import service
from yingji.auth.scope import system_scope
from yingji.auth.security import check_password_policy
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

SYSTEM = system_scope("test")
GOOD = "Correct-horse-9!"


@pytest.mark.parametrize("password", ["Short-1!", "Password123!", "qwertyuiop123", "u1-Correct-horse"])
def test_short_common_or_username_bearing_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput):
        check_password_policy(password, "u1")


@pytest.mark.parametrize("password", ["Correct-horse-9!", "定日县-password-1", "a1!a1!a1!a1!", "longpasswordonly"])
def test_any_uncommon_password_of_twelve_or_more_is_accepted(password: str) -> None:
    check_password_policy(password, "u1")


def test_created_user_can_log_in_and_wrong_password_cannot(session: Session) -> None:
    service.create_user(
        session=session, scope=SYSTEM, username="u1", password=GOOD, role="analyst", division_code="540223"
    )
    assert service.authenticate(session=session, username="u1", password=GOOD).division_code == "540223000000"
    with pytest.raises(Unauthorized):
        service.authenticate(session=session, username="u1", password=GOOD + "x")
    with pytest.raises(Unauthorized):
        service.authenticate(session=session, username="nobody", password=GOOD)


def test_duplicate_username_conflicts(session: Session) -> None:
    service.create_user(
        session=session, scope=SYSTEM, username="u2", password=GOOD, role="analyst", division_code="540223"
    )
    with pytest.raises(Conflict):
        service.create_user(
            session=session, scope=SYSTEM, username="u2", password=GOOD, role="analyst", division_code="540223"
        )


def test_unknown_role_is_invalid(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown role"):
        service.create_user(
            session=session, scope=SYSTEM, username="u3", password=GOOD, role="king", division_code="540223"
        )


def test_disabled_user_cannot_log_in_and_tokens_are_revoked(session: Session) -> None:
    service.create_user(
        session=session, scope=SYSTEM, username="u4", password=GOOD, role="analyst", division_code="540223"
    )
    _, token = service.issue_machine_token(session=session, scope=SYSTEM, username="u4", name="sensor gw")
    assert service.user_for_machine_token(session=session, token=token).username == "u4"
    service.set_disabled(session=session, scope=SYSTEM, username="u4")
    with pytest.raises(Unauthorized):
        service.authenticate(session=session, username="u4", password=GOOD)
    with pytest.raises(Unauthorized):
        service.user_for_machine_token(session=session, token=token)


def test_an_access_token_scope_is_read_now_and_refused_once_disabled(session: Session) -> None:
    service.create_user(
        session=session, scope=SYSTEM, username="u6", password=GOOD, role="analyst", division_code="540223"
    )
    user = service.get_by_username(session=session, username="u6")
    assert user is not None
    assert service.scope_of_enabled_user(session=session, username="u6") == service.scope_for(
        session=session, user=user
    )
    service.set_disabled(session=session, scope=SYSTEM, username="u6")
    assert service.scope_of_enabled_user(session=session, username="u6") is None
    assert service.scope_of_enabled_user(session=session, username="nobody-of-that-name") is None


def test_scope_covers_subtree_and_reads_ancestors(session: Session) -> None:
    user = service.get_by_username(session=session, username="dingri_duty")
    assert user is not None
    scope = service.scope_for(session=session, user=user)
    assert scope.covers("540223001002") and not scope.covers("540225000000")
    assert scope.can_read("540200000000") and scope.can_read("000000000000")
    assert not scope.can_read("540225000000")
    with pytest.raises(Forbidden):
        scope.require_write("540200000000")
    with pytest.raises(NotFound):
        scope.require_write("540225000000")


def test_county_manager_cannot_create_users_elsewhere(session: Session) -> None:
    service.create_user(
        session=session, scope=SYSTEM, username="county_admin", password=GOOD, role="admin", division_code="540223"
    )
    admin = service.get_by_username(session=session, username="county_admin")
    assert admin is not None
    scope = service.scope_for(session=session, user=admin)
    with pytest.raises(NotFound):
        service.create_user(
            session=session, scope=scope, username="x", password=GOOD, role="analyst", division_code="540225"
        )
    with pytest.raises(Forbidden):
        service.create_user(
            session=session, scope=scope, username="x", password=GOOD, role="analyst", division_code="540200"
        )


def test_a_verified_access_token_is_still_refused_once_expired_and_under_another_secret() -> None:
    import datetime as dt
    import time

    from yingji.auth import security

    now = dt.datetime.now(dt.UTC)
    token = security.issue_access_token(username="u9", secret="s" * 32, minutes=1, now=now)
    assert security.read_access_token(token, secret="s" * 32)["sub"] == "u9"  # verified, now remembered
    assert security.read_access_token(token, secret="s" * 32)["sub"] == "u9"
    with pytest.raises(Unauthorized):
        security.read_access_token(token, secret="t" * 32)
    with pytest.raises(Unauthorized):  # two minutes later, by the injected clock
        security.read_access_token(token, secret="s" * 32, clock=lambda: time.time() + 120)


def test_a_hash_made_with_older_parameters_is_remade_at_sign_in(session: Session) -> None:
    from argon2 import PasswordHasher

    from yingji.auth.models import User
    from yingji.auth.security import needs_rehash

    service.create_user(
        session=session, scope=SYSTEM, username="old1", password=GOOD, role="analyst", division_code="540223"
    )
    user = session.scalars(select(User).where(User.username == "old1")).one()
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(GOOD)
    assert needs_rehash(user.password_hash)
    assert service.authenticate(session=session, username="old1", password=GOOD) is user
    assert not needs_rehash(user.password_hash)
    assert service.authenticate(session=session, username="old1", password=GOOD) is user
