"""The journey map's thumbnail of a long page shows where most of the attention is.

On a 3200 px listing page with a little attention at the top (filters, a banner) and most of it
on the target card 2000 px further down, the attention centroid lies on the empty page between
them: a crop centred there cut the target card in half and showed mostly blank page.
"""

from __future__ import annotations

import numpy as np

from gazemap.report.images import attention_focus_row


def test_window_with_most_attention_not_the_centroid_between_two_blobs() -> None:
    rows = np.zeros(320)  # 10 px cells of a 3200 px page
    rows[10:90] = 1.0  # 80 units over the top of the page (filters, banner, a card)
    rows[210:250] = 2.0  # 80 units on the target card, 2100-2500 px
    window = 160  # a 1600 px crop
    centre = attention_focus_row(rows, window)
    top, bottom = centre - window / 2, centre + window / 2
    assert top <= 210 and bottom >= 250  # the whole target card is in the thumbnail
    centroid = float((rows * (np.arange(320) + 0.5)).sum() / rows.sum())
    assert centroid + window / 2 < 250  # the crop centred on the centroid cut the card


def test_one_blob_is_centred() -> None:
    rows = np.zeros(320)
    rows[100:120] = 1.0
    assert attention_focus_row(rows, 160) == 110.0


def test_window_taller_than_the_page_is_the_page_centre_of_attention() -> None:
    rows = np.zeros(50)
    rows[5:10] = 1.0
    assert attention_focus_row(rows, 160) == 25.0
