"""The script the presenter injects into every page (JavaScript source as a string).

Kept in a .py module so it ships with the package without package-data entries.
"""

#: the viewport's top-left corner on the screen, px, as a JavaScript function of ``headless``:
#: (0, 0) headless (no physical screen: the viewport is the screen); exact in kiosk/fullscreen;
#: in a window the borders are assumed equal left/right/bottom. The Scroll stream's
#: ``viewport_x/y`` and the validation targets' screen positions (validation.py) both use it.
VIEWPORT_ORIGIN_JS = r"""(headless) => {
    if (headless) return [0, 0];
    const ow = window.outerWidth || window.innerWidth;
    const oh = window.outerHeight || window.innerHeight;
    const side = Math.max(0, (ow - window.innerWidth) / 2);
    return [window.screenX + side, window.screenY + Math.max(0, oh - window.innerHeight - side)];
  }"""

PAGE_SCRIPT = r"""
// gazemap presenter: injected into every document of the presented site (add_init_script).
// Reports scrolls, page changes, clicks and AOI boxes to Python through exposed bindings,
// each stamped with performance.timeOrigin + performance.now() (ms since the epoch, taken
// in the page when it changed). Python maps these times to the LSL clock.
(() => {
  if (window.__gmInstalled) return;
  const CFG = __GM_CONFIG__;
  const now = () => performance.timeOrigin + performance.now();
  const send = (name, payload) => {
    try {
      const f = window[name];
      if (typeof f === "function") f(payload).catch(() => {});
    } catch (e) { /* the page is going away */ }
  };

  // ---- the moderator's give-up key (every frame: the focus may be inside an iframe).
  // Registered before any of the page's scripts run, on window in the capture phase, so
  // stopImmediatePropagation keeps the key from every page handler; preventDefault keeps it
  // from typing into a field. The matching keyup is swallowed too; the page still sees the
  // modifier keys alone go down and up.
  const GK = CFG.giveUpKey;
  if (GK && !window.__gmKeyInstalled) {
    window.__gmKeyInstalled = true;
    let held = null;
    const swallow = (e) => { e.preventDefault(); e.stopImmediatePropagation(); };
    window.addEventListener("keydown", (e) => {
      if (e.code !== GK.code || e.ctrlKey !== GK.ctrl || e.altKey !== GK.alt ||
          e.shiftKey !== GK.shift || e.metaKey !== GK.meta) return;
      swallow(e);
      held = e.code;
      if (!e.repeat) send("__gm_giveup", {t: now(), url: location.href, top: window.top === window});
    }, true);
    for (const type of ["keypress", "keyup"]) {
      window.addEventListener(type, (e) => {
        if (held === null || e.code !== held) return;
        swallow(e);
        if (type === "keyup") held = null;
      }, true);
    }
  }
  if (window.top !== window || location.href === "about:blank") return;
  window.__gmInstalled = true;
  const viewport = () => (__GM_VIEWPORT_ORIGIN__)(CFG.headless);
  const docSize = () => {
    const d = document.documentElement, b = document.body;
    return [Math.max(d ? d.scrollWidth : 0, b ? b.scrollWidth : 0),
            Math.max(d ? d.scrollHeight : 0, b ? b.scrollHeight : 0)];
  };

  // ---- scroll: every scroll event, and every animation frame while the page moves
  let lastX = null, lastY = null, lastChange = -1e12, looping = false;
  const sample = (t, force) => {
    const x = window.scrollX, y = window.scrollY;
    if (!force && x === lastX && y === lastY) return false;
    lastX = x; lastY = y;
    const v = viewport();
    send("__gm_scroll", {t, x, y, vx: v[0], vy: v[1]});
    return true;
  };
  const loop = () => {
    const t = now();
    if (sample(t, false)) lastChange = t;
    if (t - lastChange < CFG.settleMs) requestAnimationFrame(loop); else looping = false;
  };
  window.addEventListener("scroll", () => {
    const t = now();
    if (sample(t, false)) lastChange = t;
    if (!looping) { looping = true; lastChange = Math.max(lastChange, t); requestAnimationFrame(loop); }
  }, {capture: true, passive: true});

  // ---- which screen: URL + screen selectors present
  const present = () => CFG.screenSelectors.filter((s) => {
    try { return !!document.querySelector(s); } catch (e) { return false; }
  });
  let lastPresent = null;
  const nav = (kind, t) => {
    const p = present();
    lastPresent = p.join("\n");
    const sz = docSize();
    send("__gm_nav", {t: t === undefined ? now() : t, kind, url: location.href, present: p,
                      page_w: sz[0], page_h: sz[1]});
  };
  // A new page is stamped with its first contentful paint (when it became visible); a page
  // that paints no content is stamped at its first animation frame after DOMContentLoaded.
  let reported = false;
  const fire = (t) => {
    if (reported) return;
    reported = true;
    nav("load", t);
    sample(t, true);
    checkBoxes(true);
  };
  const fcpTime = () => {
    const e = performance.getEntriesByName("first-contentful-paint")[0];
    return e ? performance.timeOrigin + e.startTime : null;
  };
  const onReady = () => {
    const f = fcpTime();
    if (f !== null) { fire(f); return; }
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.name === "first-contentful-paint") fire(performance.timeOrigin + e.startTime);
        }
      }).observe({type: "paint", buffered: true});
    } catch (e) { /* no paint timing: the frame time below */ }
    requestAnimationFrame(() => {
      const tFrame = now();
      setTimeout(() => fire(fcpTime() ?? tFrame), CFG.paintWaitMs);
    });
  };
  for (const m of ["pushState", "replaceState"]) {
    const orig = history[m];
    history[m] = function (...a) { const r = orig.apply(this, a); nav("history"); return r; };
  }
  window.addEventListener("popstate", () => nav("history"));
  window.addEventListener("hashchange", () => nav("history"));

  // ---- AOI boxes of the current screen (Python sets the watch after matching a screen)
  let watch = null, lastBoxes = null;
  const fixedOf = (el) => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const p = getComputedStyle(e).position;
      if (p === "fixed" || p === "sticky") return true;
    }
    return false;
  };
  const resolve = (aois) => {
    const out = {};
    for (const [id, sel] of Object.entries(aois)) {
      let el = null;
      try { el = document.querySelector(sel); } catch (e) { out[id] = {error: "invalid selector"}; continue; }
      if (!el) { out[id] = null; continue; }
      const r = el.getBoundingClientRect();
      const fixed = fixedOf(el);
      const r2 = (v) => Math.round(v * 10) / 10;
      out[id] = {x: r2(fixed ? r.left : r.left + window.scrollX), y: r2(fixed ? r.top : r.top + window.scrollY),
                 w: r2(r.width), h: r2(r.height), fixed};
    }
    return out;
  };
  const checkBoxes = (force) => {
    if (!watch) return;
    const b = resolve(watch.aois);
    const s = JSON.stringify(b);
    if (force || s !== lastBoxes) {
      lastBoxes = s;
      const sz = docSize();
      send("__gm_boxes", {t: now(), screen: watch.screen, boxes: b, page_w: sz[0], page_h: sz[1]});
    }
  };
  window.__gmWatch = (screen, aois) => { watch = {screen, aois}; lastBoxes = null; checkBoxes(true); };
  window.__gmResolve = resolve;
  window.__gmDocSize = docSize;

  // late content: re-check screen selectors and AOI boxes after DOM changes (throttled)
  let pending = false;
  const recheck = () => {
    pending = false;
    if (lastPresent !== null && present().join("\n") !== lastPresent) nav("mutation");
    checkBoxes(false);
  };
  const later = () => { if (!pending) { pending = true; setTimeout(recheck, CFG.recheckMs); } };
  new MutationObserver(later).observe(document, {subtree: true, childList: true, attributes: true});
  window.addEventListener("load", later);
  window.addEventListener("resize", later);

  // ---- clicks (capture phase, before the page's own handlers can navigate)
  const describe = (el) => {
    const withId = el && el.closest ? el.closest("[id]") : null;
    if (withId && withId.id) return "#" + withId.id;
    if (!el || !el.tagName) return "document";
    const cls = (el.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean).slice(0, 2);
    return el.tagName.toLowerCase() + cls.map((c) => "." + c).join("");
  };
  document.addEventListener("click", (e) => {
    const t = now();
    const target = e.target;
    if (target && target.closest && target.closest("#__gm_overlay")) return;
    let aoi = null, best = null;
    if (watch && target && target.closest) {
      for (const [id, sel] of Object.entries(watch.aois)) {
        let m = null;
        try { m = target.closest(sel); } catch (x) { m = null; }
        if (m && (!best || best.contains(m))) { best = m; aoi = id; }
      }
    }
    let x = e.pageX, y = e.pageY;
    if (e.detail === 0 && e.clientX === 0 && e.clientY === 0 && target && target.getBoundingClientRect) {
      // keyboard activation (Enter/Space, implicit form submission): the element's centre
      const r = target.getBoundingClientRect();
      x = r.left + r.width / 2 + window.scrollX;
      y = r.top + r.height / 2 + window.scrollY;
    }
    send("__gm_click", {t, x, y, aoi, desc: describe(target), url: location.href, keyboard: e.detail === 0});
  }, true);

  // ---- task instruction overlay
  window.__gmShowInstruction = (n, text, label) => {
    const old = document.getElementById("__gm_overlay");
    if (old) old.remove();
    const o = document.createElement("div");
    o.id = "__gm_overlay";
    o.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(20,24,32,.94);" +
      "color:#fff;display:flex;flex-direction:column;align-items:center;justify-content:center;" +
      "font:28px/1.4 sans-serif;text-align:center;padding:0 12%";
    const h = document.createElement("div");
    h.textContent = "Task " + n;
    h.style.cssText = "font-size:20px;opacity:.7;margin-bottom:16px";
    const p = document.createElement("p");
    p.textContent = text;
    const b = document.createElement("button");
    b.id = "__gm_start";
    b.textContent = label;
    b.style.cssText = "margin-top:32px;font-size:24px;padding:16px 48px;border:0;border-radius:8px;" +
      "background:#fca311;color:#14213d;cursor:pointer";
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      const t = now();
      o.remove();
      send("__gm_ack", {t, n});
    });
    o.append(h, p, b);
    (document.body || document.documentElement).appendChild(o);
  };

  // last, so that everything above exists when the first report goes out
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onReady);
  else onReady();
})();
""".replace("__GM_VIEWPORT_ORIGIN__", VIEWPORT_ORIGIN_JS)
