"""write_report on a hand-built analysis folder: files, escaping, traceability, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import pytest
from unit.test_report_fixture import PAGE_H, PAGE_W, XSS, build_analysis

from gazemap.errors import InputError
from gazemap.report import fmt_num, load_outputs, write_report


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, Path]:
    out, protocol = build_analysis(tmp_path_factory.mktemp("rep"))
    index = write_report(out, protocol)
    return out, protocol, index


def _pages(out: Path) -> list[Path]:
    return [
        out / "index.html",
        out / "overview.html",
        *sorted(out.glob("touchpoints/*/index.html")),
    ]


def test_writes_index_overview_and_a_page_per_touchpoint(built) -> None:
    out, protocol, index = built
    assert index == out / "index.html"
    for tp in protocol.touchpoints:
        assert (out / "touchpoints" / tp.id / "index.html").is_file()
        for sc in tp.screens:
            img = cv2.imread(str(out / "touchpoints" / tp.id / f"{sc.id}_heatmap.png"))
            # the screenshot's size, plus the legend's strip above it (60-120 px at 800 px)
            assert img.shape[1] == PAGE_W and 60 <= img.shape[0] - PAGE_H <= 120, img.shape
            fog = cv2.imread(str(out / "touchpoints" / tp.id / f"{sc.id}_fog.jpg"))
            assert fog.shape == img.shape  # side by side on the page, the same height
            # the opacity map is photographic: JPEG
            assert (out / "touchpoints" / tp.id / f"{sc.id}_fog.jpg").is_file()
            assert (out / "touchpoints" / tp.id / f"{sc.id}_heatmap_thumb.png").is_file()
    assert (out / "touchpoints/home/home_gazeplot_P02.png").is_file()


def test_journey_map_lists_every_stage_and_touchpoint(built) -> None:
    out, protocol, _ = built
    html = (out / "index.html").read_text()
    for st in protocol.stages:
        assert f'data-stage-id="{st.id}"' in html
    for tp in protocol.touchpoints:
        assert f'href="touchpoints/{tp.id}/index.html"' in html
    # the heatmap path evidence.json/journey.json name exists for every touchpoint
    doc = json.loads((out / "journey.json").read_text())
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            assert (out / tp["heatmap"]).is_file()


def test_text_from_protocol_and_markers_is_escaped(built) -> None:
    out, _, _ = built
    for page in _pages(out):
        html = page.read_text()
        assert XSS not in html, page
        assert "<b>test</b>" not in html
        assert "<script" not in html.lower()  # the report has no script at all
    home = (out / "touchpoints/home/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home


def test_self_contained_no_network_no_inline_images(built) -> None:
    out, _, _ = built
    for page in _pages(out):
        html = page.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", html), page
        assert "data:image" not in html
        assert "<link" not in html  # CSS is inline
        assert "default-src 'none'" in html  # CSP: nothing from anywhere else
        for tag in re.findall(r"<img [^>]*>", html):
            assert 'loading="lazy"' in tag
            src = re.search(r'src="([^"]+)"', tag).group(1)
            assert (page.parent / src).resolve().is_file(), src
        assert page.stat().st_size < 200_000


def test_evidence_rows_trace_to_evidence_json(built) -> None:
    out, _, _ = built
    outputs = load_outputs(out)
    for tp_id in ("home", "search", "checkout"):
        html = (out / "touchpoints" / tp_id / "index.html").read_text()
        rows = re.findall(
            r'<tr id="[^"]+" data-finding-id="([^"]+)" data-rule-id="([^"]+)"[^>]*>(.*?)</tr>',
            html,
            re.S,
        )
        expected = outputs.findings_of(tp_id)
        assert {r[0] for r in rows} == {f["id"] for f in expected}
        for fid, rule, body in rows:
            f = next(f for f in expected if f["id"] == fid)
            assert rule == f["rule_id"]
            assert f'cell-value">{fmt_num(f["value"])}<' in body
            assert f'cell-threshold">{fmt_num(f["threshold"])}<' in body
            assert f"sev-{f['severity']}" in body
    assert "unreliable" in (out / "touchpoints/checkout/index.html").read_text()


def test_aoi_table_medians_come_from_metrics_csv(built) -> None:
    out, _, _ = built
    rows = [r for r in load_outputs(out).metrics if r["touchpoint_id"] == "checkout"]
    pay = [r for r in rows if r["aoi_id"] == "pay"]
    import statistics

    dwell = statistics.median(r["dwell_s"] for r in pay)
    html = (out / "touchpoints/checkout/index.html").read_text()
    row = re.search(r'<tr data-aoi-id="pay">(.*?)</tr>', html, re.S).group(1)
    n_fix = sum(1 for r in pay if r["fixated"])
    assert f"{n_fix}/{len(pay)}" in row
    assert f'<td class="n">{fmt_num(dwell)}</td>' in row


def test_aoi_table_from_journey_json_when_it_has_aoi_summaries(built) -> None:
    out, _, _ = built
    html = (out / "touchpoints/home/index.html").read_text()
    table = re.search(
        r'<table class="aoi-table" data-source="journey.json">(.*?)</table>', html, re.S
    )
    assert table is not None
    ids = re.findall(r'data-aoi-id="([^"]+)"', table.group(1))
    assert ids == ["search", "banner", "__outside__"]  # protocol order, outside last
    row = re.search(r'<tr data-aoi-id="search">(.*?)</tr>', table.group(1), re.S).group(1)
    assert "67 %" in row and "3.38 (3.88)" in row and "1.12 (1.25)" in row
    # fixated by 2 of the 3 participants, as a count with its share (it read "67 % of 3")
    cell = re.search(r'<td class="n fixated-by">(.*?)</td>', row, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", cell) == "2/3 (67 %)"


def test_unit_is_shown_and_scrolling_fixations_left_out_of_heatmap(built) -> None:
    out, _, _ = built
    html = (out / "touchpoints/home/index.html").read_text()
    assert '<span class="cell-value">7.12</span> <span class="muted unit">s</span>' in html
    assert "1 fixations during which the page scrolled are left out of the heatmap" in html


def test_overview_shows_detector_parameters_and_sessions(built) -> None:
    out, _, _ = built
    html = (out / "overview.html").read_text()
    assert "velocity_threshold_deg_s" in html and "&lt;none&gt;" in html
    assert "P04.h5 is damaged" in html
    assert 'id="screen-assumed"' in html  # the fixture records no screen geometry
    # a session's notes (not errors) are listed, escaped
    assert "note: page outside the protocol: &lt;script&gt;" in html
    # a session below the protocol's data-quality thresholds is flagged with the reason, as
    # on the journey map's sessions table (the overview listed its numbers unmarked)
    flagged = re.findall(r'<tr class="below-threshold">(.*?)</tr>', html, re.S)
    index = (out / "index.html").read_text()
    assert flagged and len(flagged) == index.count('<tr class="below-threshold">')
    assert all("below threshold</span>" in row and 'class="n bad"' in row for row in flagged)


def test_fmt_num() -> None:
    assert fmt_num(None) == "—"
    assert fmt_num(3) == "3"
    assert fmt_num(2.0) == "2"
    assert fmt_num(0.61234) == "0.612"
    # a long scanpath (deg) or a long time (s): whole units, never 1.12e+03
    assert fmt_num(1118.4) == "1118"
    assert fmt_num(999.4) == "999"
    assert fmt_num(999.6) == "1000"
    assert fmt_num(123.4) == "123"
    assert fmt_num(-2500.6) == "-2501"
    assert fmt_num(True) == "yes"
    assert fmt_num(float("nan")) == "—"


# -------------------------------------------------------------------------------- errors


@pytest.fixture
def fresh(tmp_path: Path):
    return build_analysis(tmp_path)


def test_missing_output_file(fresh) -> None:
    out, protocol = fresh
    (out / "metrics.csv").unlink()
    with pytest.raises(InputError, match=r"metrics.csv is missing.*gazemap analyze"):
        write_report(out, protocol)


def test_missing_folder(tmp_path: Path, fresh) -> None:
    _, protocol = fresh
    with pytest.raises(InputError, match="analysis folder .* does not exist"):
        write_report(tmp_path / "nope", protocol)


def test_missing_column(fresh) -> None:
    out, protocol = fresh
    text = (out / "touchpoints.csv").read_text().replace("data_loss", "loss", 1)
    (out / "touchpoints.csv").write_text(text)
    with pytest.raises(InputError, match="touchpoints.csv lacks the column.*data_loss"):
        write_report(out, protocol)


def test_bad_number_cell(fresh) -> None:
    out, protocol = fresh
    lines = (out / "fixations.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[7] = "abc"  # duration_s
    lines[1] = ",".join(cells)
    (out / "fixations.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match="fixations.csv line 2: column duration_s must be a number"
    ):
        write_report(out, protocol)


def test_bad_bool_cell(fresh) -> None:
    out, protocol = fresh
    text = (out / "touchpoints.csv").read_text().replace(",true,", ",maybe,", 1)
    (out / "touchpoints.csv").write_text(text)
    with pytest.raises(InputError, match="column quality_ok must be true/false"):
        write_report(out, protocol)


def test_bad_json(fresh) -> None:
    out, protocol = fresh
    (out / "journey.json").write_text("{not json")
    with pytest.raises(InputError, match="journey.json is not valid JSON"):
        write_report(out, protocol)


def test_json_of_wrong_shape(fresh) -> None:
    out, protocol = fresh
    (out / "sessions.json").write_text("{}")
    with pytest.raises(InputError, match="sessions.json must hold a JSON array"):
        write_report(out, protocol)
    (out / "sessions.json").write_text("[]")
    (out / "evidence.json").write_text('{"stages": []}')
    with pytest.raises(InputError, match="evidence.json lacks the key"):
        write_report(out, protocol)


def test_finding_without_severity(fresh) -> None:
    out, protocol = fresh
    doc = json.loads((out / "evidence.json").read_text())
    del doc["stages"][0]["touchpoints"][0]["findings"][0]["severity"]
    (out / "evidence.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="lacks 'severity'"):
        write_report(out, protocol)


def test_other_protocol_is_refused(fresh) -> None:
    out, protocol = fresh
    doc = json.loads((out / "evidence.json").read_text())
    doc["protocol"]["id"] = "bank-loan"
    (out / "evidence.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="made with protocol 'bank-loan'.*--protocol"):
        write_report(out, protocol)


def test_unknown_touchpoint_is_refused(fresh) -> None:
    out, protocol = fresh
    text = (out / "touchpoints.csv").read_text().replace(",checkout,", ",ghost,")
    (out / "touchpoints.csv").write_text(text)
    with pytest.raises(InputError, match="names touchpoint\\(s\\) ghost"):
        write_report(out, protocol)


def test_bad_colormap(fresh) -> None:
    out, protocol = fresh
    with pytest.raises(InputError, match="colormap must be one of"):
        write_report(out, protocol, colormap="jet")


def test_missing_screenshot_gives_blank_page_and_warning(fresh) -> None:
    out, protocol = fresh
    protocol.screenshot_path(protocol.screens["cart"]).unlink()
    write_report(out, protocol, gaze_plots=False)
    html = (out / "touchpoints/checkout/index.html").read_text()
    assert "does not exist" in html and "blank page stands in" in html
    # the file is named, not by its path on this machine (the report may go to a client)
    shot = protocol.screenshot_path(protocol.screens["cart"])
    assert "cart.png" in html and str(shot) not in html and str(shot.parent) not in html
    assert not list((out / "touchpoints/checkout").glob("*gazeplot*"))


def test_screen_geometry_from_outputs_sets_kernel(fresh) -> None:
    out, protocol = fresh
    doc = json.loads((out / "evidence.json").read_text())
    doc["screen"] = {"width_px": 1440, "height_px": 900, "width_mm": 300.0,
                     "height_mm": 187.5, "distance_mm": 600.0}  # fmt: skip
    (out / "evidence.json").write_text(json.dumps(doc))
    write_report(out, protocol, gaze_plots=False)
    html = (out / "overview.html").read_text()
    assert 'id="screen-assumed"' not in html
    assert "50.3 px/deg" in html  # tan(1 deg) * 600 mm * 1440 px / 300 mm


def test_fixations_without_a_screen_are_reported(fresh) -> None:
    out, protocol = fresh
    text = (out / "fixations.csv").read_text().splitlines()
    header = text[0].split(",")
    i_tp, i_sc = header.index("touchpoint_id"), header.index("screen_id")
    n = 0
    for k in range(1, len(text)):
        cells = text[k].split(",")
        if cells[i_tp] == "home" and n < 2:
            cells[i_sc] = ""
            text[k] = ",".join(cells)
            n += 1
    (out / "fixations.csv").write_text("\n".join(text) + "\n")
    write_report(out, protocol, gaze_plots=False)
    html = (out / "touchpoints/home/index.html").read_text()
    assert 'id="unplaced">2 fixations of this touchpoint belong to no screen' in html


def test_ids_unfit_for_folder_names_are_refused(fresh) -> None:
    import dataclasses

    out, protocol = fresh
    stages = list(protocol.stages)
    last = stages[-1]
    tp = last.touchpoints[0]
    bad_screen = dataclasses.replace(tp.screens[0], id="../evil")
    stages[-1] = dataclasses.replace(
        last, touchpoints=(dataclasses.replace(tp, screens=(bad_screen,)),)
    )
    bad = dataclasses.replace(protocol, stages=tuple(stages))
    with pytest.raises(InputError, match="id '../evil' cannot name a report folder"):
        write_report(out, bad)


def test_gaze_plot_captions_say_fixations_and_task_outcome(built) -> None:
    # the grid's captions said only "P03": a client looks for who failed the task
    out, _, _ = built
    page = (out / "touchpoints/checkout/index.html").read_text()
    caps = {
        re.sub(r"<[^>]+>", "", c).split(" ")[0]: re.sub(r"<[^>]+>", "", c)
        for c in re.findall(r"<figcaption>(<b>P\d+</b>.*?)</figcaption>", page, re.S)
    }
    rows = {
        r["participant"]: r
        for r in load_outputs(out).touchpoints
        if r["touchpoint_id"] == "checkout"
    }
    assert caps and set(caps) <= set(rows)
    for p, text in caps.items():
        assert re.search(r"· \d+ fixations?", text), text
        if rows[p]["success"] is False:
            assert "task not achieved" in text
        elif rows[p]["success"]:
            assert "achieved in" in text and "not" not in text
    assert any("task not achieved" in t for t in caps.values())
    # a touchpoint without a success criterion says nothing about a task
    home = (out / "touchpoints/home/index.html").read_text()
    assert "achieved" not in " ".join(re.findall(r"<figcaption>.*?</figcaption>", home, re.S))


def test_overview_explains_every_threshold_with_its_value(built) -> None:
    # the overview listed 11 code names and bare numbers (0.33, 350), without task_success_min
    out, protocol, _ = built
    html = (out / "overview.html").read_text()
    table = re.search(r'<table id="thresholds-table">(.*?)</table>', html, re.S)
    assert table is not None
    rows = dict(re.findall(r'<tr data-threshold="(\w+)">(.*?)</tr>', table.group(1), re.S))
    th = protocol.thresholds
    expected = {
        "ttff_late_s": f"{fmt_num(th.ttff_late_s)} s",
        "task_success_min": f"{100 * th.task_success_min:.0f} %",
        "min_participants_share": f"{100 * th.min_participants_share:.0f} %",
        "mean_fixation_ms": f"{fmt_num(th.mean_fixation_ms)} ms",
        "precision_rms_max_deg": f"{fmt_num(th.precision_rms_max_deg)}°",
    }
    for name, value in expected.items():
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[name])]
        assert cells[0] == name and cells[1] == value, cells
        assert len(cells[3]) > 20  # what it decides, in words
    assert len(rows) == 12


def test_touchpoint_page_gives_its_friction_score_and_rank(built) -> None:
    # the page did not say how the touchpoint ranks on the journey map
    out, protocol, _ = built
    index = (out / "index.html").read_text()
    ranks = dict(
        re.findall(
            r'<td class="friction[^"]*" data-touchpoint-id="([\w-]+)" data-rank="(\d*)"', index
        )
    )
    assert any(ranks.values())
    n = len(protocol.touchpoints)
    for tp in protocol.touchpoints:
        page = (out / "touchpoints" / tp.id / "index.html").read_text()
        kpi = re.search(r'<div class="kpi" id="kpi-friction">(.*?)</div>', page, re.S)
        if not ranks[tp.id]:
            assert kpi is None  # no findings, no rank
            continue
        assert kpi is not None
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", kpi.group(1)))
        assert f"#{ranks[tp.id]} of {n} on the journey" in text, text
        assert re.search(r"^ ?\d\.\d of 4 friction score", text), text


def test_screen_column_only_where_a_touchpoint_has_several_screens(built) -> None:
    # on a one-screen touchpoint every row repeated the screen's name (the sample's
    # 'Search results for "running shoes"', wrapped on 5 lines)
    out, protocol, _ = built
    seen = set()
    for tp in protocol.touchpoints:
        page = (out / "touchpoints" / tp.id / "index.html").read_text()
        if "<tr id=" not in page:
            continue  # no findings, no table
        seen.add(len(tp.screens) > 1)
        head = re.search(r'<table id="evidence-table">\s*<thead>(.*?)</thead>', page, re.S)
        assert head is not None
        several = len(tp.screens) > 1
        assert ("Screen</th>" in head.group(1)) == several, tp.id
        rows = re.findall(
            r'<tr id="F\d+"[^>]*data-screen-ids="([^"]*)"[^>]*>(.*?)</tr>', page, re.S
        )
        assert rows
        for ids, row in rows:
            assert ids  # the rows still say which screen(s)
            assert ('class="c-screen"' in row) == several
    assert seen == {True, False}  # both kinds of page were checked
