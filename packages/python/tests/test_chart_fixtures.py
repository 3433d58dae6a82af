"""Specs that %chart emits, kept as a fixture for the renderer's browser tests (packages/charts).

The browser test renders these exact specs; this test fails when the emitted specs change, so the
fixture cannot silently go stale. Regenerate with ``FLINT_UPDATE_CHART_FIXTURES=1 pytest tests/test_chart_fixtures.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flint.chart import VEGALITE_MIME, ChartSettings, build_chart

FIXTURE = Path(__file__).resolve().parents[2] / "charts" / "test" / "fixtures" / "flint-chart-specs.json"

COMMANDS = [
    "data(df) x(VOLUME) y(WEIGHT) color(AUTH)",
    "data(sales) bar x(region) y(sum(amount)) color(year)",
    "data(sales) bar x(region) y(mean(amount)) color(year) sort(-y) title('Mean amount')",
    "data(trips) x(bin(distance, 30)) y(count())",
    "data(events) line x(month(ts)) y(mean(latency)) facet(service)",
    "data(events) bar x(day(ts)) y(count()) color(service)",
    "data(events) area x(week(ts)) y(sum(latency)) color(service)",
    "data(sales) boxplot x(region) y(amount)",
    "data(sales) boxplot x(region) y(amount) facet(year)",
    "data(sales) arc y(sum(amount)) color(region)",
    "data(df) rect x(bin(VOLUME)) y(bin(WEIGHT)) color(count())",
    "data(df) tick x(VOLUME) y(AUTH)",
    "data(big) x(x) y(y) limit(300)",
]


def frames() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    return {
        "df": pd.DataFrame(
            {"VOLUME": rng.random(60).round(3), "WEIGHT": rng.random(60).round(3), "AUTH": rng.choice(list("abc"), 60)}
        ),
        "sales": pd.DataFrame(
            {
                "region": rng.choice(["EU", "US", "APAC"], 90),
                "amount": rng.gamma(2.0, 50.0, 90).round(2),
                "year": rng.choice([2023, 2024], 90),
            }
        ),
        "trips": pd.DataFrame({"distance": rng.exponential(4.0, 500).round(3)}),
        "events": pd.DataFrame(
            {
                "ts": pd.date_range("2024-01-01", periods=400, freq="19h"),
                "latency": rng.gamma(3.0, 10.0, 400).round(2),
                "service": rng.choice(["api", "db"], 400),
            }
        ),
        "big": pd.DataFrame({"x": rng.normal(size=1000).round(4), "y": rng.normal(size=1000).round(4)}),
    }


def current() -> list[dict[str, Any]]:
    data = frames()
    out = []
    for command in COMMANDS:
        result = build_chart(command, data, config=ChartSettings(max_rows=5000))
        out.append({"command": result.command, "mimeType": VEGALITE_MIME, "spec": result.spec})
    return json.loads(json.dumps(out, allow_nan=False))


def test_fixture_matches_what_chart_emits() -> None:
    specs = current()
    if os.environ.get("FLINT_UPDATE_CHART_FIXTURES") == "1":
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(specs, indent=1) + "\n")
    assert FIXTURE.exists(), f"missing {FIXTURE}: run with FLINT_UPDATE_CHART_FIXTURES=1"
    assert json.loads(FIXTURE.read_text()) == specs, "the emitted specs changed: regenerate the fixture"
