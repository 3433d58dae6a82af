"""Build the Vega-Lite v6 spec of a computed chart: inline rows, pre-aggregated fields, no Vega-side aggregate."""

from __future__ import annotations

from typing import Any

from flint.chart.grammar import PART_TIME_UNITS
from flint.chart.plan import QUANTITATIVE, TEMPORAL, ChartPlan, Encoded
from flint.chart.result import ChartData

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Aggregates whose values add up across colors, so stacking them shows a meaningful total.
SUMMATIVE = ("count", "sum", "distinct")
# Few enough values of an integer column to read it as categories rather than a number line.
MAX_CATEGORIES_POSITION = 50
MAX_CATEGORIES_COLOR = 12
VL_TIME_UNITS = {"week": "yearweek"}
SINGLE_HEIGHT = 300
FACET_WIDTH, FACET_HEIGHT, FACET_COLUMNS = 220, 160, 3


def vl_field(name: str) -> str:
    """Escape a column name for a Vega-Lite ``field`` (dots and brackets would mean nested access)."""
    out = name.replace("\\", "\\\\")
    for ch in ".[]":
        out = out.replace(ch, "\\" + ch)
    return out


def notes(plan: ChartPlan, data: ChartData) -> list[str]:
    """What the chart leaves out, said on the chart itself (never a silent cut)."""
    out = []
    if data.sampled:
        out.append(f"showing a sample of {data.rows_out:,} of {data.rows_in:,} rows")
    if data.groups_cut and data.total_groups is not None:
        out.append(f"showing the first {data.rows_out:,} of {data.total_groups:,} groups")
    return out


def build_spec(plan: ChartPlan, data: ChartData, kind: str) -> dict[str, Any]:
    """The Vega-Lite spec of ``plan`` drawn from ``data``."""
    builder = _SpecBuilder(plan, data)
    spec: dict[str, Any] = {"$schema": SCHEMA}
    spec.update(builder.body())
    title = _title(plan, data)
    if title is not None:
        spec["title"] = title
    spec["usermeta"] = {
        "flint": {
            "source": plan.source,
            "kind": kind,
            "query": data.query,
            "rowsIn": data.rows_in,
            "rowsOut": data.rows_out,
            "sampled": data.sampled,
            "groupsCut": data.groups_cut,
            **({"sparkPlan": data.spark_plan} if data.spark_plan else {}),
        }
    }
    return spec


def _title(plan: ChartPlan, data: ChartData) -> dict[str, Any] | str | None:
    said = notes(plan, data)
    user = plan.command.title
    if not said:
        return user
    subtitle = "; ".join(said)
    return {"text": user or _default_title(plan), "subtitle": subtitle, "anchor": "start"}


def _default_title(plan: ChartPlan) -> str:
    x = plan.encodings.get("x", [None])[0]
    y = plan.encodings.get("y", [None])[0]
    if x is not None and y is not None:
        return f"{y.title} {'by' if plan.aggregated else 'vs'} {x.title}"
    only = x or y or plan.encodings.get("theta", [None])[0]
    return only.title if only is not None else plan.source


class _SpecBuilder:
    def __init__(self, plan: ChartPlan, data: ChartData) -> None:
        self.plan = plan
        self.data = data

    def distinct(self, name: str, cap: int) -> int:
        seen: set[Any] = set()
        for row in self.data.rows:
            seen.add(row.get(name))
            if len(seen) > cap:
                break
        return len(seen)

    def vl_type(self, enc: Encoded) -> str:
        """The encoding's type; integer columns with few values are read as categories where people read them so."""
        if enc.explicit_type or enc.derived is None:
            return enc.vl_type
        if enc.derived.op == "timeunit":
            discrete_mark = self.plan.mark in ("bar", "rect", "tick", "boxplot")
            if discrete_mark and enc.channel in ("x", "y") and enc.derived.unit in PART_TIME_UNITS:
                return "ordinal"  # "Sun", "Mon" ... as bands, not ticks on a continuous time axis
            return enc.vl_type
        if enc.derived.op != "column":
            return enc.vl_type
        if enc.channel == "facet":
            return "ordinal" if enc.vl_type == QUANTITATIVE else ("nominal" if enc.vl_type == TEMPORAL else enc.vl_type)
        if enc.vl_type != QUANTITATIVE or not enc.derived.source.integer:
            return enc.vl_type
        if enc.channel in ("color", "shape") and self.distinct(enc.name, MAX_CATEGORIES_COLOR) <= MAX_CATEGORIES_COLOR:
            return "ordinal"
        if (
            enc.channel in ("x", "y")
            and self.plan.aggregated
            and self.plan.mark in ("bar", "rect", "boxplot")
            and self.distinct(enc.name, MAX_CATEGORIES_POSITION) <= MAX_CATEGORIES_POSITION
        ):
            return "ordinal"
        return enc.vl_type

    def channel(self, enc: Encoded) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The channel definition and, for bins, the definition of the bin's end (x2 or y2)."""
        definition: dict[str, Any] = {"field": vl_field(enc.name), "type": self.vl_type(enc), "title": enc.title}
        end = None
        if enc.derived is not None and enc.derived.op == "bin":
            params = self.data.bins.get(enc.name)
            definition["bin"] = {"binned": True, **({"step": params.step} if params else {})}
            end = {"field": vl_field(enc.derived.end_name or "")}
        elif enc.derived is not None and enc.derived.op == "timeunit" and definition["type"] in (TEMPORAL, "ordinal"):
            unit = enc.derived.unit or ""
            # The rows already hold floored times; flooring again is the identity and gives the
            # axis its labels ("Jan", "Mon") and bars their width.
            definition["timeUnit"] = VL_TIME_UNITS.get(unit, unit)
        return definition, end

    def is_discrete(self, channel: str) -> bool:
        enc = self.plan.encodings.get(channel, [None])[0]
        if enc is None:
            return False
        return self.vl_type(enc) in ("nominal", "ordinal")

    def encoding(self) -> dict[str, Any]:
        enc_out: dict[str, Any] = {}
        for channel, fields in self.plan.encodings.items():
            if channel == "facet":
                continue
            if channel == "tooltip":
                enc_out["tooltip"] = [self.channel(f)[0] for f in fields]
                continue
            definition, end = self.channel(fields[0])
            enc_out[channel] = definition
            if end is not None:
                enc_out[channel + "2"] = end
        if "theta" in enc_out:
            enc_out["theta"]["stack"] = True
        self.apply_sort(enc_out)
        self.apply_grouping(enc_out)
        facet = self.plan.encodings.get("facet")
        if facet:
            defs = [self.channel(f)[0] for f in facet]
            if len(defs) == 1:
                columns = max(1, min(FACET_COLUMNS, self.distinct(facet[0].name, FACET_COLUMNS)))
                enc_out["facet"] = {**defs[0], "columns": columns}
            else:
                enc_out["row"], enc_out["column"] = defs
        return enc_out

    def apply_sort(self, enc_out: dict[str, Any]) -> None:
        sort = self.plan.command.sort
        if sort is None or sort.channel not in enc_out:
            return
        other = "y" if sort.channel == "x" else "x"
        sign = "-" if sort.descending else ""
        if self.is_discrete(other) and not self.is_discrete(sort.channel):
            enc_out[other]["sort"] = f"{sign}{sort.channel}"  # categories ordered by the values
        elif self.is_discrete(sort.channel):
            enc_out[sort.channel]["sort"] = "descending" if sort.descending else "ascending"
        else:
            enc_out[sort.channel].setdefault("scale", {})["reverse"] = sort.descending

    def apply_grouping(self, enc_out: dict[str, Any]) -> None:
        """Bars of non-summative aggregates (mean, median ...) split by color stand side by side, not stacked."""
        color = self.plan.encodings.get("color", [None])[0]
        if color is None or self.plan.mark not in ("bar", "area") or not self.is_discrete("color"):
            return
        for value_axis, category_axis in (("y", "x"), ("x", "y")):
            value = self.plan.encodings.get(value_axis, [None])[0]
            if value is None or value.measure is None or value.measure.aggregate in SUMMATIVE:
                continue
            enc_out[value_axis]["stack"] = None
            if self.plan.mark == "bar" and self.is_discrete(category_axis):
                enc_out[category_axis + "Offset"] = {"field": vl_field(color.name)}
            return

    def size(self) -> dict[str, Any]:
        if "facet" in self.plan.encodings:
            return {"width": FACET_WIDTH, "height": FACET_HEIGHT}
        # Fill the output's width and follow it when the notebook is resized.
        return {"width": "container", "height": SINGLE_HEIGHT, "autosize": {"type": "fit-x", "contains": "padding"}}

    def body(self) -> dict[str, Any]:
        if self.plan.boxplot is not None:
            return self.boxplot_body()
        mark: dict[str, Any] = {"type": self.plan.mark}
        if "tooltip" not in self.plan.encodings:
            mark["tooltip"] = True
        if self.plan.mark == "line" and self.plan.aggregated and len(self.data.rows) <= 60:
            mark["point"] = True
        return {"data": {"values": self.data.rows}, "mark": mark, "encoding": self.encoding(), **self.size()}

    def boxplot_body(self) -> dict[str, Any]:
        box = self.plan.boxplot
        assert box is not None
        value_axis = box.orient
        names = box.names
        shared = self.encoding()
        facet = shared.pop("facet", None)
        rows = {k: shared.pop(k) for k in ("row", "column") if k in shared}
        color = shared.pop("color", None)
        group_axis = "x" if value_axis == "y" else "y"
        if color is not None and group_axis in shared and color["field"] != shared[group_axis]["field"]:
            shared[group_axis + "Offset"] = {"field": color["field"]}
        scale = {"zero": False}
        stats = [
            ("lower", "min"),
            ("q1", "q1"),
            ("median", "median"),
            ("q3", "q3"),
            ("upper", "max"),
            ("count", "count"),
        ]
        tooltip = [{"field": vl_field(names[k]), "type": "quantitative", "title": label} for k, label in stats]
        layers = [
            {
                "mark": {"type": "rule"},
                "encoding": {
                    value_axis: {
                        "field": vl_field(names["lower"]),
                        "type": "quantitative",
                        "title": box.value.name,
                        "scale": scale,
                    },
                    value_axis + "2": {"field": vl_field(names["upper"])},
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "bar", "size": 14},
                "encoding": {
                    value_axis: {"field": vl_field(names["q1"]), "type": "quantitative"},
                    value_axis + "2": {"field": vl_field(names["q3"])},
                    **({"color": color} if color is not None else {}),
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "tick", "color": "white", "size": 14},
                "encoding": {
                    value_axis: {"field": vl_field(names["median"]), "type": "quantitative"},
                    "tooltip": tooltip,
                },
            },
        ]
        inner: dict[str, Any] = {"encoding": shared, "layer": layers}
        if facet is None and not rows:
            return {"data": {"values": self.data.rows}, **inner, **self.size()}
        facet_def: dict[str, Any] = dict(rows) if rows else {k: v for k, v in facet.items() if k != "columns"}
        body: dict[str, Any] = {
            "data": {"values": self.data.rows},
            "facet": facet_def,
            "spec": {**inner, "width": FACET_WIDTH, "height": FACET_HEIGHT},
        }
        if facet is not None:
            body["columns"] = facet.get("columns", FACET_COLUMNS)
        return body
