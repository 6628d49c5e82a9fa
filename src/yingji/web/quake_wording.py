"""An earthquake assessment's machine text in the reader's language. The engine (``yingji.quake``) writes
its notes, credits, population source and aftershock note as English sentences for the CLI and the JSON;
the assessment page shows each through the message catalogue (``quake.note.*``, ``quake.credit.*``, …):
the sentence's known shapes are read back into a key and its numbers, the named models and parameter
sets by their catalogue names. A sentence of no known shape is shown as stored.

Pure (no database, no web framework): the stored texts and the page's translator ``t`` come in."""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from functools import cache
from importlib.resources import files

import yaml

Translate = Callable[..., str]

# The engine's sentences (yingji.quake.source.orient, assess.assess, service.run).
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^long axis along the given fault strike$"), "quake.note.axis_given"),
    (
        re.compile(r"^long axis along the nearest mapped fault trace \((?P<trace>.*), (?P<km>[\d.]+) km away\)$"),
        "quake.note.axis_trace",
    ),
    (
        re.compile(
            r"^circular isoseismals: the nearest mapped fault trace is (?P<km>[\d.]+) km away "
            r"\(> (?P<limit>[\d.]+) km\) and no strike was given$"
        ),
        "quake.note.axis_far",
    ),
    (re.compile(r"^circular isoseismals: no strike given and no fault file loaded$"), "quake.note.axis_none"),
    (re.compile(r"^circular source \(the deaths model's calibration\)$"), "quake.note.axis_circular_model"),
    (re.compile(r"^Mw (?P<mw>[\d.]+) converted to Ms (?P<ms>[\d.]+) for the Chinese relation"), "quake.note.mw_to_ms"),
    (re.compile(r"^Ms (?P<ms>[\d.]+) converted to Mw (?P<mw>[\d.]+) for the Allen"), "quake.note.ms_to_mw"),
    (re.compile(r"^geohazard sites: the demo region's synthetic inventory"), "quake.note.demo_sites"),
)
_DEATHS = re.compile(r"^deaths: model (?P<model>\S+) — ")
_GENERIC = re.compile(r"^generic parameters \((?P<name>[^)]*)\)$")
_GENERIC_FEW = re.compile(
    r"^generic parameters \((?P<name>[^)]*)\): (?P<n>\d+) recorded aftershocks ≥ M(?P<mc>[\d.]+) < (?P<min>\d+)$"
)
_FITTED = re.compile(
    r"^fitted from (?P<n>\d+) recorded aftershocks ≥ M(?P<mc>[\d.]+) "
    r"\(a=(?P<a>-?[\d.]+), b=(?P<b>-?[\d.]+), p=(?P<p>-?[\d.]+), c=(?P<c>-?[\d.]+)\)$"
)
# The service's population sources (yingji.quake.service, yingji.quake.cli).
_DEMO_POPULATION = "demo data settlements (villages of the divisions table, synthetic)"
_SETTLEMENTS = re.compile(r"^settlement points \((?P<name>.*)\)$")
_WORLDPOP = "WorldPop (population, CC BY 4.0)"
_GEM = "GEM Global Active Faults Database, GEM GAF-DB (fault traces, CC BY-SA 4.0)"


@cache
def _aftershock_sets() -> dict[str, str]:
    """The generic aftershock parameter sets' names (as the notes quote them) → their ids."""
    text = files("yingji.standards").joinpath("aftershock_parameters.yaml").read_text(encoding="utf-8")
    return {str(row["name"]): str(key) for key, row in (yaml.safe_load(text).get("sets") or {}).items()}


def model_name(t: Translate, name: str, known: Container[str]) -> str:
    """A deaths model by its catalogue name (``quake.model.<name>``), else its id."""
    return t(f"quake.model.{name}") if f"quake.model.{name}" in known else name


def note(t: Translate, text: str, known: Container[str]) -> str:
    """One of the assessment's notes."""
    for pattern, key in _NOTES:
        if found := pattern.match(text):
            return t(key, **found.groupdict())
    if found := _DEATHS.match(text):
        return t("quake.note.deaths", model=model_name(t, found["model"], known))
    return text


def aftershock_note(t: Translate, text: str) -> str:
    """Which aftershock parameters the forecast used."""
    sets = _aftershock_sets()

    def set_name(name: str) -> str:
        return t(f"quake.aftershock_set.{sets[name]}") if name in sets else name

    if found := _GENERIC.match(text):
        return t("quake.aftershocks.generic", set=set_name(found["name"]))
    if found := _GENERIC_FEW.match(text):
        return t(
            "quake.aftershocks.too_few", set=set_name(found["name"]), n=found["n"], mc=found["mc"], min=found["min"]
        )
    if found := _FITTED.match(text):
        return t("quake.aftershocks.fitted", **found.groupdict())
    return text


def population_source(t: Translate, text: str) -> str:
    """Where the people came from: the demo settlements, a settlements file, a raster, the packaged one."""
    if text == _DEMO_POPULATION:
        return t("quake.population.demo")
    if text == "given":  # no raster was configured: the packaged WorldPop raster
        return t("quake.population.packaged")
    if found := _SETTLEMENTS.match(text):
        return t("quake.population.settlements", name=found["name"])
    return t("quake.population.raster", name=text)


def credit(t: Translate, text: str) -> str:
    """One data credit (the licences of WorldPop and GEM ask for attribution)."""
    if text == _WORLDPOP:
        return t("quake.credit.worldpop")
    if text == _GEM:
        return t("quake.credit.gem")
    if text.startswith("population: "):
        return t("quake.population_source") + "：" + population_source(t, text[len("population: ") :])
    if text.startswith("population raster "):
        return t("quake.population.raster", name=text[len("population raster ") :])
    if text.startswith("fault traces "):
        return t("quake.credit.faults", name=text[len("fault traces ") :])
    return text
