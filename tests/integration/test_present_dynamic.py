"""Pages that change after loading: late elements, moved AOIs, history (SPA) navigation.

A small site written by the test (served with --site) and a two-screen protocol: the first
screen is recognised only once its selector appears; its AOI element appears late and then
moves; clicking it changes the URL with history.pushState, which is the second screen.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from integration.present_helpers import CHROMIUM, run_present

from gazemap.presenter.browser import png_size

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

LATE_HTML = """<!doctype html><html><head><meta charset=utf-8><style>
body { margin: 0 } #box { position: absolute; left: 100px; top: 1500px; width: 200px; height: 100px; background: #c33 }
</style></head><body><div style="height: 3000px">loading…</div><script>
setTimeout(() => {
  const m = document.createElement("main"); m.id = "ready"; document.body.appendChild(m);
  const b = document.createElement("a"); b.id = "box"; b.href = "#"; b.textContent = "late"; document.body.appendChild(b);
}, 300);
setTimeout(() => { document.getElementById("box").style.top = "1800px"; }, 700);
document.addEventListener("click", (e) => {
  if (e.target.id !== "box") return;
  e.preventDefault();
  history.pushState({}, "", "/spa/step2");
  document.body.insertAdjacentHTML("beforeend",
    '<div id="step2" style="position:absolute;left:0;top:0;width:100px;height:100px">2</div>');
});
</script></body></html>
"""


def _protocol(path: Path) -> None:
    def screen(sid: str, url: str, selector: str | None, aoi: dict) -> dict:
        d = {
            "id": sid,
            "url": url,
            "page": {"width_px": 1440, "height_px": 3000},
            "viewport": {"width_px": 1440, "height_px": 900},
            "aois": [aoi],
        }
        if selector:
            d["selector"] = selector
        return d

    doc = {
        "protocol": {
            "id": "dynamic",
            "name": "Dynamic pages",
            "screen": {"width_px": 1440, "height_px": 900},
        },
        "stages": [
            {
                "id": "only",
                "name": "Only",
                "touchpoints": [
                    {
                        "id": "first",
                        "name": "First",
                        "channel": "site",
                        "screens": [
                            screen(
                                "late",
                                "/late.html",
                                "#ready",
                                {
                                    "id": "box",
                                    "role": "target",
                                    "shape": "rect",
                                    "coords": [100, 1500, 200, 100],
                                    "selector": "#box",
                                },
                            )
                        ],
                    },
                    {
                        "id": "second",
                        "name": "Second",
                        "channel": "site",
                        "screens": [
                            screen(
                                "step2",
                                "/spa/*",
                                None,
                                {
                                    "id": "step2",
                                    "role": "target",
                                    "shape": "rect",
                                    "coords": [0, 0, 100, 100],
                                    "selector": "#step2",
                                },
                            )
                        ],
                    },
                ],
            }
        ],
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def test_late_elements_moves_and_history_navigation(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "late.html").write_text(LATE_HTML, encoding="utf-8")
    proto = tmp_path / "dynamic.yaml"
    _protocol(proto)
    run = run_present(
        [
            str(proto),
            "--participant",
            "P03",
            "--headless",
            "--autoplay",
            "--site",
            str(site),
            "--screen-timeout-s",
            "10",
            "--screenshots",
            str(tmp_path / "shots"),
            "--screenshots-per-participant",
        ],
        f"gazemap-test-present-{uuid.uuid4().hex[:10]}",
    )
    assert run.returncode == 0, run.stderr
    screens = run.values("screen/")
    # the page waits for its screen's selector (rendered 300 ms after loading): no unknown
    assert screens == ["screen/late", "screen/step2"]
    assert run.values("touchpoint/") == [
        "touchpoint/first/start",
        "touchpoint/first/end",
        "touchpoint/second/start",
        "touchpoint/second/end",
    ]
    boxes = [json.loads(v.split(" ", 1)[1]) for v in run.values("aoi-boxes ")]
    late_y = [b["aois"]["box"]["y_px"] for b in boxes if b["screen"] == "late" and b["aois"]["box"]]
    assert late_y[0] == 1500 and late_y[-1] == 1800  # re-resolved after the element moved
    clicks = run.values("click/box ")
    assert len(clicks) == 1
    x, y = map(float, clicks[0].split(" ")[1:])
    assert 100 <= x <= 300 and 1800 <= y <= 1900
    assert run.values("click/step2 ")
    # per-participant screenshots, sized as the page
    manifest = json.loads((tmp_path / "shots" / "screenshots.json").read_text())
    assert set(manifest["screens"]) == {"P03/late", "P03/step2"}
    assert manifest["screens"]["P03/late"]["file"] == "P03/late.png"
    assert png_size(tmp_path / "shots" / "P03" / "late.png") == (1440, 3000)
    # the SPA step is marked when the URL changed, after the click
    assert (
        run.time_of("screen/step2") >= run.markers[[v for _, v in run.markers].index(clicks[0])][0]
    )


def test_live_mode_waits_for_the_participant_and_ends_after_max_duration(tmp_path: Path) -> None:
    import cv2
    import numpy as np
    from integration.present_helpers import protocol_copy

    # a screenshot already in the study's manifest is not captured again
    shots = tmp_path / "shots"
    shots.mkdir()
    cv2.imwrite(str(shots / "home.png"), np.zeros((5, 7, 3), np.uint8))
    manifest = {"protocol": "online-store", "screens": {"home": {"file": "home.png"}}}
    (shots / "screenshots.json").write_text(json.dumps(manifest))
    run = run_present(
        [
            str(protocol_copy(tmp_path)),
            "--participant",
            "P04",
            "--headless",
            "--max-duration-s",
            "2",
            "--screenshots",
            str(shots),
        ],
        f"gazemap-test-present-{uuid.uuid4().hex[:10]}",
    )
    assert run.returncode == 0, run.stderr
    assert "close the browser window or press Ctrl+C" in run.stderr
    # the first page is shown and its instruction waits: no task starts without the participant
    assert run.values("screen/") == ["screen/home"]
    assert run.values("task/") == [] and run.values("touchpoint/") == []
    assert "never shown: search, product" in run.stdout
    assert png_size(shots / "home.png") == (7, 5)
    assert json.loads((shots / "screenshots.json").read_text())["screens"] == {
        "home": {"file": "home.png"}
    }


def test_autoplay_skips_screens_without_url(tmp_path: Path) -> None:
    from integration.present_helpers import protocol_copy, screen_doc

    def edit(doc: dict) -> None:
        # keep home → search only; the search touchpoint's screen is not a web page here
        doc["stages"] = doc["stages"][:1]
        del screen_doc(doc, "search")["url"]

    run = run_present(
        [
            str(protocol_copy(tmp_path, edit)),
            "--participant",
            "P05",
            "--headless",
            "--autoplay",
            "--screen-timeout-s",
            "5",
        ],
        f"gazemap-test-present-{uuid.uuid4().hex[:10]}",
    )
    assert run.returncode == 0, run.stderr
    assert "screens without a url are not presented: search" in run.stderr
    assert run.values("screen/")[0] == "screen/home"
    assert run.values("click/search-box ")
