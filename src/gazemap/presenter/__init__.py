"""Present the tested website in a controlled Chromium and stream what it shows on LSL.

``matching`` (pure: URL/selector → screen, journey markers), ``server`` (the demo site on
127.0.0.1), ``browser`` (Playwright control, LSL output, screenshots), ``autoplay`` (a
synthetic participant). The command is ``gazemap present`` (docs/presenter.md).
"""
