"""Reserves registries through their services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.resources.conftest import DINGRI, DINGRI_TOWN, LAZI, TIBET, XIGAZE, inside

from yingji.auth.models import AuditEntry
from yingji.auth.scope import Scope
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.resources import service
from yingji.resources.models import Depot, StockMovement
from yingji.resources.schemas import (
    DepotIn,
    DepotPatch,
    MinimumIn,
    MovementIn,
    OccupancyIn,
    ShelterIn,
    ShelterPatch,
    TeamIn,
    TransferIn,
    VehicleIn,
)


def depot(session: Session, scope: Scope, code: str = DINGRI, level: str = "county", name: str = "库") -> Depot:
    lon, lat = inside(session, code)
    body = DepotIn(name=name, level=level, division_code=code, lon=lon, lat=lat)  # type: ignore[arg-type]
    return service.create_depot(session=session, scope=scope, depot_in=body)


def move(session: Session, scope: Scope, d: Depot, kind: str, qty: int, item: str = "quilt", **kw: object) -> None:
    body = MovementIn.model_validate({"kind": kind, "item": item, "quantity": qty, **kw})
    service.move_stock(session=session, scope=scope, depot_id=d.id, movement_in=body)


def on_hand(session: Session, scope: Scope, d: Depot, item: str = "quilt") -> int:
    lines = {line["item"]: line for line in service.stock(session=session, scope=scope, depot_id=d.id)}
    return int(lines[item]["quantity"]) if item in lines else 0


# -- depots ---------------------------------------------------------------------------------------------


def test_a_county_registers_a_depot_inside_its_county(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    assert d.division_code == DINGRI and d.level == "county"


def test_a_depot_outside_its_division_is_refused(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, LAZI)
    body = DepotIn(name="x", level="county", division_code=DINGRI, lon=lon, lat=lat)
    with pytest.raises(InvalidInput, match="outside the boundary"):
        service.create_depot(session=session, scope=dingri, depot_in=body)


def test_a_depot_outside_all_divisions_is_refused(session: Session, national: Scope) -> None:
    body = DepotIn(name="x", level="provincial", division_code=TIBET, lon=10.0, lat=50.0)
    with pytest.raises(InvalidInput, match="outside all divisions"):
        service.create_depot(session=session, scope=national, depot_in=body)


def test_a_provincial_depot_outside_the_demo_boundaries_but_inside_the_province_is_accepted(
    session: Session, national: Scope
) -> None:
    body = DepotIn(name="拉萨", level="provincial", division_code=TIBET, lon=91.13, lat=29.66)
    assert service.create_depot(session=session, scope=national, depot_in=body).level == "provincial"


def test_a_depot_level_must_match_its_division_level(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    body = DepotIn(name="x", level="city", division_code=DINGRI, lon=lon, lat=lat)
    with pytest.raises(InvalidInput, match="city depot"):
        service.create_depot(session=session, scope=dingri, depot_in=body)


def test_a_county_reads_but_cannot_change_the_prefecture_depot(
    session: Session, dingri: Scope, prefecture: Scope
) -> None:
    upper = depot(session, prefecture, XIGAZE, "city")
    assert service.get_depot(session=session, scope=dingri, depot_id=upper.id).id == upper.id
    with pytest.raises(Forbidden):
        service.update_depot(session=session, scope=dingri, depot_id=upper.id, patch=DepotPatch(name="mine"))
    with pytest.raises(Forbidden):
        move(session, dingri, upper, "receive", 5)


def test_a_county_does_not_see_the_neighbouring_county_depot(session: Session, dingri: Scope, lazi: Scope) -> None:
    foreign = depot(session, lazi, LAZI)
    with pytest.raises(NotFound):
        service.get_depot(session=session, scope=dingri, depot_id=foreign.id)
    rows, _ = service.list_depots(session=session, scope=dingri, limit=None)
    assert foreign.id not in {r.id for r in rows}


def test_a_county_cannot_register_a_depot_in_another_county(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, LAZI)
    with pytest.raises(NotFound):
        service.create_depot(
            session=session,
            scope=dingri,
            depot_in=DepotIn(name="x", level="county", division_code=LAZI, lon=lon, lat=lat),
        )


def test_every_write_is_audited(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 10)
    entities = set(session.scalars(select(AuditEntry.entity).where(AuditEntry.actor == dingri.actor)))
    assert {"depot", "stock_movement"} <= entities


# -- the ledger -----------------------------------------------------------------------------------------


def test_stock_is_the_sum_of_the_ledger(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 100, batch="A")
    move(session, dingri, d, "issue", 30)
    move(session, dingri, d, "adjust", -5, batch="A")
    move(session, dingri, d, "adjust", 2, batch="A")
    total = session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.depot_id == d.id))
    assert on_hand(session, dingri, d) == total == 67


def test_an_issue_that_would_go_negative_is_refused_and_writes_nothing(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 10)
    count = session.scalar(select(func.count()).select_from(StockMovement))
    with pytest.raises(Conflict, match="insufficient stock: 10 of quilt"):
        move(session, dingri, d, "issue", 11)
    assert session.scalar(select(func.count()).select_from(StockMovement)) == count
    assert on_hand(session, dingri, d) == 10


def test_a_withdrawal_without_batch_takes_first_expiry_first(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 10, item="food", batch="late", expiry=dt.date(2027, 6, 1))
    move(session, dingri, d, "receive", 10, item="food", batch="early", expiry=dt.date(2027, 1, 1))
    move(session, dingri, d, "issue", 15, item="food")
    line = next(x for x in service.stock(session=session, scope=dingri, depot_id=d.id) if x["item"] == "food")
    assert [(b["batch"], b["quantity"]) for b in line["batches"]] == [("late", 5)]


def test_an_unknown_item_is_refused(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    with pytest.raises(InvalidInput, match="unknown item"):
        move(session, dingri, d, "receive", 1, item="unobtainium")


def test_items_are_known_by_their_chinese_name(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 3, item="棉被")
    assert on_hand(session, dingri, d, "quilt") == 3


def test_a_batch_keeps_one_expiry(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 1, item="water", batch="W1", expiry=dt.date(2027, 1, 1))
    with pytest.raises(InvalidInput, match="expires on 2027-01-01"):
        move(session, dingri, d, "receive", 1, item="water", batch="W1", expiry=dt.date(2028, 1, 1))


def test_stock_below_its_minimum_is_flagged(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 10)
    service.set_minimum(session=session, scope=dingri, depot_id=d.id, minimum_in=MinimumIn(item="quilt", minimum=50))
    service.set_minimum(
        session=session, scope=dingri, depot_id=d.id, minimum_in=MinimumIn(item="tent_single", minimum=1)
    )
    lines = {x["item"]: x for x in service.stock(session=session, scope=dingri, depot_id=d.id)}
    assert lines["quilt"]["below_minimum"] and lines["tent_single"]["quantity"] == 0


# -- transfers ------------------------------------------------------------------------------------------


def test_a_transfer_moves_stock_only_when_confirmed(session: Session, prefecture: Scope) -> None:
    upper, lower = depot(session, prefecture, XIGAZE, "city"), depot(session, prefecture, DINGRI)
    move(session, prefecture, upper, "receive", 40, batch="B", expiry=dt.date(2030, 1, 1))
    order = service.create_transfer(
        session=session,
        scope=prefecture,
        transfer_in=TransferIn.model_validate(
            {"from_depot_id": upper.id, "to_depot_id": lower.id, "lines": [{"item": "quilt", "quantity": 25}]}
        ),
    )
    assert order.status == "created" and on_hand(session, prefecture, lower) == 0
    service.confirm_transfer(session=session, scope=prefecture, transfer_id=order.id)
    assert (on_hand(session, prefecture, upper), on_hand(session, prefecture, lower)) == (15, 25)
    batches = next(x for x in service.stock(session=session, scope=prefecture, depot_id=lower.id))["batches"]
    assert batches == [{"batch": "B", "expiry": dt.date(2030, 1, 1), "quantity": 25}]


def test_a_short_transfer_is_refused_whole(session: Session, prefecture: Scope) -> None:
    upper, lower = depot(session, prefecture, XIGAZE, "city"), depot(session, prefecture, DINGRI)
    move(session, prefecture, upper, "receive", 10)
    move(session, prefecture, upper, "receive", 10, item="tent_single")
    order = service.create_transfer(
        session=session,
        scope=prefecture,
        transfer_in=TransferIn.model_validate(
            {
                "from_depot_id": upper.id,
                "to_depot_id": lower.id,
                "lines": [{"item": "tent_single", "quantity": 5}, {"item": "quilt", "quantity": 11}],
            }
        ),
    )
    with pytest.raises(Conflict):
        service.confirm_transfer(session=session, scope=prefecture, transfer_id=order.id)
    assert on_hand(session, prefecture, upper, "tent_single") == 10
    assert on_hand(session, prefecture, lower, "tent_single") == 0
    assert service.get_transfer(session=session, scope=prefecture, transfer_id=order.id).status == "created"


def test_a_transfer_to_a_foreign_depot_is_not_found(session: Session, dingri: Scope, lazi: Scope) -> None:
    own, foreign = depot(session, dingri), depot(session, lazi, LAZI)
    body = TransferIn.model_validate(
        {"from_depot_id": own.id, "to_depot_id": foreign.id, "lines": [{"item": "quilt", "quantity": 1}]}
    )
    with pytest.raises(NotFound):
        service.create_transfer(session=session, scope=dingri, transfer_in=body)


# -- shelters -------------------------------------------------------------------------------------------


def shelter(session: Session, scope: Scope, **kw: object) -> int:
    lon, lat = inside(session, DINGRI_TOWN)
    values: dict[str, object] = {
        "name": "避难场所",
        "shelter_class": "III",
        "division_code": DINGRI_TOWN,
        "lon": lon,
        "lat": lat,
        "effective_area_m2": 3000,
        "is_open": True,
    }
    values.update(kw)
    return service.create_shelter(session=session, scope=scope, shelter_in=ShelterIn.model_validate(values)).id


def test_shelter_capacity_defaults_to_area_over_one_and_a_half_square_metres(session: Session, dingri: Scope) -> None:
    sid = shelter(session, dingri)
    assert service.get_shelter(session=session, scope=dingri, shelter_id=sid).capacity == 2000


def test_a_shelter_capacity_above_its_area_is_refused(session: Session, dingri: Scope) -> None:
    with pytest.raises(InvalidInput, match="GB 21734"):
        shelter(session, dingri, capacity=2001)


def test_check_in_beyond_capacity_is_refused(session: Session, dingri: Scope) -> None:
    sid = shelter(session, dingri, capacity=100)
    service.record_occupancy(
        session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind="check_in", people=90)
    )
    with pytest.raises(InvalidInput, match="room for 10"):
        service.record_occupancy(
            session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind="check_in", people=11)
        )
    service.record_occupancy(
        session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind="check_out", people=40)
    )
    row = service.get_shelter(session=session, scope=dingri, shelter_id=sid)
    assert (row.occupancy, row.checked_in, row.checked_out) == (50, 90, 40)


def test_a_closed_shelter_takes_no_one(session: Session, dingri: Scope) -> None:
    sid = shelter(session, dingri, is_open=False)
    with pytest.raises(InvalidInput, match="closed"):
        service.record_occupancy(
            session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind="check_in", people=1)
        )


def test_an_occupied_shelter_cannot_shrink_below_its_occupants(session: Session, dingri: Scope) -> None:
    sid = shelter(session, dingri)
    service.record_occupancy(
        session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind="check_in", people=500)
    )
    with pytest.raises(InvalidInput, match="below the 500"):
        service.update_shelter(session=session, scope=dingri, shelter_id=sid, patch=ShelterPatch(capacity=100))


def test_unknown_facilities_are_refused(session: Session, dingri: Scope) -> None:
    with pytest.raises(InvalidInput, match="unknown facility"):
        shelter(session, dingri, facilities=["jacuzzi"])


# -- teams and vehicles ---------------------------------------------------------------------------------


def test_a_professional_team_names_its_specialty(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    body = TeamIn(name="队", kind="professional", division_code=DINGRI, lon=lon, lat=lat, headcount=20)
    with pytest.raises(InvalidInput, match="specialty"):
        service.create_team(session=session, scope=dingri, team_in=body)


def test_teams_are_listed_by_capability(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    body = TeamIn(
        name="矿山救护队",
        kind="professional",
        specialty="mine",
        division_code=DINGRI,
        lon=lon,
        lat=lat,
        headcount=30,
        capabilities=["mine_rescue", "medical"],
        equipment={"breathing_apparatus": 20},
    )
    team = service.create_team(session=session, scope=dingri, team_in=body)
    rows, total = service.list_teams(session=session, scope=dingri, capability="mine_rescue", limit=None)
    assert team.id in {t.id for t in rows} and total == len(rows)


def test_a_vehicle_takes_its_depot_position(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    body = VehicleIn(name="运输车", kind="truck", division_code=DINGRI, depot_id=d.id, payload_kg=8000)
    v = service.create_vehicle(session=session, scope=dingri, vehicle_in=body)
    assert (v.lon, v.lat) == (d.lon, d.lat)


def test_an_aircraft_needs_its_range(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    body = VehicleIn(name="直升机", kind="helicopter", division_code=DINGRI, lon=lon, lat=lat, payload_kg=3000)
    with pytest.raises(InvalidInput, match="range"):
        service.create_vehicle(session=session, scope=dingri, vehicle_in=body)


# -- imports --------------------------------------------------------------------------------------------


def test_a_depot_csv_is_imported(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    text = f"name,level,division_code,lon,lat\n甲库,county,{DINGRI},{lon},{lat}\n乙库,county,{DINGRI},{lon},{lat}\n"
    assert service.import_csv(session=session, scope=dingri, kind="depots", text=text) == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("丙库,county,{code},10.0,50.0", "outside"),
        ("丙库,nowhere,{code},{lon},{lat}", "level"),
        ("丙库,county,540225000000,{lon},{lat}", "not found"),
    ],
)
def test_a_bad_depot_line_is_named_with_its_reason(session: Session, dingri: Scope, row: str, reason: str) -> None:
    lon, lat = inside(session, DINGRI)
    good = f"甲库,county,{DINGRI},{lon},{lat}"
    text = "name,level,division_code,lon,lat\n" + good + "\n" + row.format(code=DINGRI, lon=lon, lat=lat) + "\n"
    with pytest.raises(InvalidInput, match=f"rejected: line 3: .*{reason}"):
        service.import_csv(session=session, scope=dingri, kind="depots", text=text)


def test_a_stock_csv_with_negative_quantity_is_rejected(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    text = f"depot_id,item,quantity\n{d.id},quilt,5\n{d.id},quilt,-5\n"
    with pytest.raises(InvalidInput, match="rejected: line 3: quantity must be positive"):
        service.import_csv(session=session, scope=dingri, kind="stock", text=text)


def test_a_stock_csv_with_an_unknown_item_is_rejected(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    text = f"depot_id,item,quantity\n{d.id},spaceship,5\n"
    with pytest.raises(InvalidInput, match="rejected: line 2: unknown item"):
        service.import_csv(session=session, scope=dingri, kind="stock", text=text)


def test_shelter_and_team_csvs_are_imported(session: Session, dingri: Scope) -> None:
    lon, lat = inside(session, DINGRI_TOWN)
    shelters = (
        "name,shelter_class,division_code,lon,lat,effective_area_m2,facilities\n"
        f"广场,II,{DINGRI_TOWN},{lon},{lat},5000,water;power;toilets\n"
    )
    teams = (
        "name,kind,division_code,lon,lat,headcount,capabilities\n"
        f"消防队,fire_rescue,{DINGRI},{lon},{lat},40,search_rescue;fire_fighting\n"
    )
    assert service.import_csv(session=session, scope=dingri, kind="shelters", text=shelters) == 1
    assert service.import_csv(session=session, scope=dingri, kind="teams", text=teams) == 1


def test_a_csv_with_a_missing_column_is_rejected_at_line_one(session: Session, dingri: Scope) -> None:
    with pytest.raises(InvalidInput, match="line 1: missing column"):
        service.import_csv(session=session, scope=dingri, kind="teams", text="name,kind\na,social\n")


def test_a_file_that_is_not_csv_is_rejected_with_its_line(session: Session, dingri: Scope) -> None:
    text = "name,kind,division_code,lon,lat,headcount\n" + "x" * 200_000 + ",social\n"  # beyond the field limit
    with pytest.raises(InvalidInput, match="rejected: line"):
        service.import_csv(session=session, scope=dingri, kind="teams", text=text)


def test_a_confirmed_transfer_cannot_be_confirmed_again(session: Session, prefecture: Scope) -> None:
    upper, lower = depot(session, prefecture, XIGAZE, "city"), depot(session, prefecture, DINGRI)
    move(session, prefecture, upper, "receive", 10)
    body = TransferIn.model_validate(
        {"from_depot_id": upper.id, "to_depot_id": lower.id, "lines": [{"item": "quilt", "quantity": 4}]}
    )
    order = service.create_transfer(session=session, scope=prefecture, transfer_in=body)
    service.confirm_transfer(session=session, scope=prefecture, transfer_id=order.id)
    with pytest.raises(InvalidInput, match="already confirmed"):
        service.confirm_transfer(session=session, scope=prefecture, transfer_id=order.id)
    assert on_hand(session, prefecture, lower) == 4


def test_expired_batches_are_written_off_and_fresh_ones_kept(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 7, item="food", batch="old", expiry=dt.date(2026, 1, 1))
    move(session, dingri, d, "receive", 9, item="food", batch="new", expiry=dt.date(2028, 1, 1))
    move(session, dingri, d, "receive", 3, item="quilt")
    rows = service.expire_due(session=session, scope=dingri, depot_id=d.id, on=dt.date(2026, 11, 28))
    assert [(r.kind, r.batch, r.delta) for r in rows] == [("expire", "old", -7)]
    assert (on_hand(session, dingri, d, "food"), on_hand(session, dingri, d, "quilt")) == (9, 3)


def test_available_stock_lists_readable_depots_with_something_on_hand(
    session: Session, dingri: Scope, lazi: Scope, prefecture: Scope
) -> None:
    own, foreign, upper = depot(session, dingri), depot(session, lazi, LAZI), depot(session, prefecture, XIGAZE, "city")
    for d, scope in ((own, dingri), (foreign, lazi), (upper, prefecture)):
        move(session, scope, d, "receive", 5)
    move(session, dingri, own, "issue", 5)
    rows = service.available_stock(session=session, scope=dingri, items=["棉被"])
    assert [(r["depot_id"], r["quantity"], r["read_only"]) for r in rows] == [(upper.id, 5, True)]


def test_check_ins_and_outs_are_kept_as_events(session: Session, dingri: Scope) -> None:
    sid = shelter(session, dingri)
    for kind, people in (("check_in", 30), ("check_out", 12)):
        service.record_occupancy(
            session=session, scope=dingri, shelter_id=sid, occupancy_in=OccupancyIn(kind=kind, people=people)
        )  # type: ignore[arg-type]
    events, total = service.list_shelter_events(session=session, scope=dingri, shelter_id=sid)
    assert total == 2 and [(e.kind, e.people, e.occupancy_after) for e in events] == [
        ("check_in", 30, 30),
        ("check_out", 12, 18),
    ]


def test_stock_lines_carry_their_packed_volume_and_weight(session: Session, dingri: Scope) -> None:
    d = depot(session, dingri)
    move(session, dingri, d, "receive", 10, item="tent_single")
    (line,) = service.stock(session=session, scope=dingri, depot_id=d.id)
    assert (line["volume_m3"], line["weight_kg"]) == (2.5, 450.0)  # 0.25 m³ and 45 kg a tent (catalogue)
