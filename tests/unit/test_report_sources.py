"""The evidence table cites the literature by author and year, each reference listed once in
full under the table (the full text of one reference was repeated in up to 6 rows of the
sample's search page, making each row 10-16 lines tall in the Finding column)."""

from __future__ import annotations

import re
from pathlib import Path

from unit.test_report_fixture import build_analysis

from gazemap.report import write_report
from gazemap.report.html import cite_sources, short_cite

GOLDBERG = (
    "Goldberg, J. H., & Kotval, X. P. (1999). Computer interface evaluation using eye "
    "movements: methods and constructs. International Journal of Industrial Ergonomics, "
    "24(6), 631-645."
)
POOLE = (
    "Poole, A., & Ball, L. J. (2006). Eye tracking in HCI and usability research. In "
    "Encyclopedia of Human Computer Interaction (pp. 211-219). Idea Group."
)
HOLMQVIST = (
    "Holmqvist, K., Nystrom, M., Andersson, R., Dewhurst, R., Jarodzka, H., & van de Weijer, "
    "J. (2011). Eye Tracking: A Comprehensive Guide to Methods and Measures. Oxford "
    "University Press."
)


def test_short_citations() -> None:
    assert short_cite(GOLDBERG) == "Goldberg & Kotval 1999"
    assert short_cite(HOLMQVIST) == "Holmqvist et al. 2011"
    assert short_cite("Nielsen, J. (1994). Severity ratings for usability problems.") == (
        "Nielsen 1994"
    )
    assert short_cite("Jacob & Karn (2003)") == "Jacob & Karn 2003"
    # not a reference: shown as it is
    assert short_cite("our lab's rule of thumb") == "our lab's rule of thumb"


def test_each_reference_numbered_once_in_order_of_first_use() -> None:
    findings = [
        {"source": f"{GOLDBERG} / {POOLE}"},
        {"source": POOLE},
        {"source": ""},
        {"source": f"{HOLMQVIST} / {GOLDBERG}"},
    ]
    refs = cite_sources(findings)
    assert refs == [GOLDBERG, POOLE, HOLMQVIST]
    assert findings[0]["cites"] == [
        {"n": 1, "short": "Goldberg & Kotval 1999"},
        {"n": 2, "short": "Poole & Ball 2006"},
    ]
    assert findings[1]["cites"] == [{"n": 2, "short": "Poole & Ball 2006"}]
    assert findings[2]["cites"] == []
    assert [c["n"] for c in findings[3]["cites"]] == [3, 1]


def test_touchpoint_page_lists_the_full_references_once(tmp_path: Path) -> None:
    out, protocol = build_analysis(tmp_path)
    write_report(out, protocol, gaze_plots=False)
    page = (out / "touchpoints" / "home" / "index.html").read_text()
    items = re.findall(r'<li id="source-(\d+)">([^<]*)</li>', page)
    assert items and [n for n, _ in items] == [str(i) for i in range(1, len(items) + 1)]
    texts = [t for _, t in items]
    assert len(set(texts)) == len(texts)
    # each row's citation links to a listed reference, and the full text is not in the row
    for row in re.findall(r'<tr id="F\d+".*?</tr>', page, re.S):
        for n in re.findall(r'href="#source-(\d+)"', row):
            assert 1 <= int(n) <= len(items)
        src = re.search(r'<div class="c-src">(.*?)</div>', row, re.S)
        if src:
            assert re.sub(r"<[^>]+>", "", src.group(1)).startswith("Source")
