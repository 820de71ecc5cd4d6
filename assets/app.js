() => {
  // roberta_demo page script: the room's settings kept in the address, presentation mode, themed bertviz frames,
  // translated leftovers, charts with names and data tables, slide-sized chart downloads.

  // The room's settings live in the page's address, kept up to date as they change (the tab, its view,
  // presentation mode; the theme and language come in it): every link made from it, the language switch and a
  // reload keep them. A tab's text is not kept: it belongs to the link that brought it.
  const ROOM = ["tab", "view", "step", "present", "__theme", "lang"];
  const TABS = ROBERTA_DEMO_TABS; // the app's tab keys: each tab's `data-tab-id` (the tour's steps have others)
  const address = () => new URL(window.location.href);
  window.robertaDemoRoom = {
    // The tab on show, as the page draws it (the first before any is drawn).
    shownTab() {
      const selected = document.querySelectorAll("[role='tab'][aria-selected='true'][data-tab-id]");
      return Array.from(selected, (button) => button.dataset.tabId).find((key) => TABS.includes(key)) || TABS[0];
    },
    set(name, value) {
      const link = address();
      if (value === null || value === undefined || value === "") link.searchParams.delete(name);
      else link.searchParams.set(name, value);
      if (name === "tab" && link.searchParams.get("tab") !== new URL(window.location.href).searchParams.get("tab")) {
        ["text", "view", "step", "deep_link"].forEach((gone) => link.searchParams.delete(gone));
      }
      window.history.replaceState(window.history.state, "", link.toString());
    },
    settings() {
      const kept = new URLSearchParams();
      const current = address().searchParams;
      ROOM.forEach((name) => { if (current.get(name)) kept.set(name, current.get(name)); });
      if (document.body.classList.contains("present")) kept.set("present", "1");
      if (!kept.get("lang")) kept.set("lang", document.documentElement.lang.startsWith("zh") ? "zh" : "en");
      return kept;
    },
    togglePresent() {
      const on = document.body.classList.toggle("present");
      window.robertaDemoRoom.set("present", on ? "1" : null);
    },
  };

  // A tab clicked goes into the address at once, in the page, not when the server answers: a link made right after
  // (this app's or Gradio's "Share this result", which copies the address) names it. Before the tab's own handler
  // (capture), which redraws it as selected: clicking the tab on show changes nothing, as in Gradio.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[role='tab'][data-tab-id]");
    if (!button || !TABS.includes(button.dataset.tabId) || button.disabled) return;
    if (button.getAttribute("aria-selected") !== "true") window.robertaDemoRoom.set("tab", button.dataset.tabId);
  }, true);

  // Presentation mode: large type, high contrast, wide layout. `?present=1` or the header's button.
  const query = new URLSearchParams(window.location.search);
  if (query.get("present") === "1") document.body.classList.add("present");

  // Links within the app (`?tab=…`, the explainer's "Try it") keep the room's settings.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href^='?']");
    if (!link) return;
    const target = new URLSearchParams(link.getAttribute("href").slice(1));
    window.robertaDemoRoom.settings().forEach((value, name) => {
      if (!["tab", "view", "step"].includes(name) && !target.get(name)) target.set(name, value);
    });
    event.preventDefault();
    window.location.search = target.toString();
  }, true);

  // The tour: ← and → press the shown step's Back and Next, unless the key belongs to a box, a slider, a choice, the
  // stepper's own buttons or a frame (where it moves a caret, a value or the focus).
  const OWN_KEYS = "input, textarea, select, [contenteditable], [role='slider'], [role='tab'], [role='radio'], iframe";
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest && event.target.closest(OWN_KEYS)) return;
    const kind = event.key === "ArrowRight" ? ".tour-next" : ".tour-back";
    const button = Array.from(document.querySelectorAll(kind)).find((candidate) => candidate.offsetParent !== null);
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  // Gradio translates the labels, values and titles it knows to look at, but not an Examples table's headers,
  // cells and button labels (gradio 6: `Dataset`), which show the raw translation marker. This replaces any marker
  // left in the page's text or names with its translation, in the page's language.
  const TRANSLATIONS = ROBERTA_DEMO_TRANSLATIONS;
  // A whole marker; or one Gradio cut short to fit its box (`…"key": "rd_c307...`), found by what is left of its key.
  const MARKER = /__i18n__\{[^{}]*?"key":\s*"([^"]+)"\s*\}|__i18n__\{[^{}]*?"key":\s*"(rd_[0-9a-f]{4,})[^"{}]*$/g;
  const entryFor = (key, start) => {
    if (key) return TRANSLATIONS[key];
    const matching = Object.keys(TRANSLATIONS).filter((candidate) => candidate.startsWith(start));
    return matching.length === 1 ? TRANSLATIONS[matching[0]] : undefined;
  };
  const translated = (text) => text.replace(MARKER, (marker, key, start) => {
    const entry = entryFor(key, start);
    if (!entry) return marker;
    return document.documentElement.lang.startsWith("zh") ? entry.zh : entry.en;
  });
  const NAMED = ["aria-label", "title", "placeholder", "alt"];
  // Writes only what changes: a write is itself a change the observer sees, and an untranslatable marker written
  // back as it was would be seen again without end.
  const translateText = (node) => {
    if (!node.nodeValue.includes("__i18n__")) return;
    const text = translated(node.nodeValue);
    if (text !== node.nodeValue) node.nodeValue = text;
  };
  const translateWithin = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return translateText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    [root, ...root.querySelectorAll("*")].forEach((element) => {
      NAMED.forEach((name) => {
        const value = element.getAttribute(name);
        if (!value || !value.includes("__i18n__")) return;
        const text = translated(value);
        if (text !== value) element.setAttribute(name, text);
      });
    });
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) translateText(node);
  };
  // The tour's stepper: a finished step's button shows only a tick, and Gradio gives it no name. Each gets its
  // step's number and title, for screen readers (and for axe, which checks every tab in CI).
  const nameSteps = () => document.querySelectorAll(".step-button").forEach((button, index) => {
    const label = button.querySelector(".step-label");
    const name = `${index + 1}: ${label ? label.textContent.trim() : ""}`;
    if (button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
  });
  new MutationObserver((changes) => {
    changes.forEach((change) => {
      if (change.type === "childList") change.addedNodes.forEach(translateWithin);
      else translateWithin(change.target);
    });
    nameSteps();
  }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true,
                              attributeFilter: NAMED });
  translateWithin(document.body);

  // The attention views run in sandboxed frames that cannot see the page: answer their question about the theme
  // and presentation mode, tell them again whenever either changes, and give each frame the height it reports
  // (its content grows in presentation mode, and the model view's detail is taller than its grid).
  const theme = () => (document.body.classList.contains("dark") ? "dark" : "light");
  const frameState = () => ({ robertaDemoTheme: theme(), robertaDemoPresent: document.body.classList.contains("present") });
  const frames = () => Array.from(document.querySelectorAll("iframe.bertviz-frame"));
  let opened = null;  // the model view's head shown in full ({key, head}), kept when its frame is drawn again
  window.addEventListener("message", (event) => {
    const data = event.data || {};
    const frame = frames().find((candidate) => candidate.contentWindow === event.source);
    if (!frame) return;
    if (data.robertaDemoOpened) opened = data.robertaDemoOpened.head ? data.robertaDemoOpened : null;
    if (data.robertaDemoAsk === "theme") event.source.postMessage({ ...frameState(), robertaDemoOpen: opened }, "*");
    const height = Number(data.robertaDemoHeight);
    if (height > 0) {
      frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
      frame.dataset.fitted = String(Math.ceil(height));  // the frame's layout has settled (tests wait for this)
    }
  });
  // A click that reached the page on a frame belongs to the frame: the browser sends it here while the frame's
  // own layout is not yet in the compositor (just after it was drawn or resized). The frame clicks the same point.
  document.addEventListener("click", (event) => {
    const frame = event.target;
    if (!(frame instanceof HTMLIFrameElement) || !frame.matches("iframe.bertviz-frame") || !frame.contentWindow) return;
    const box = frame.getBoundingClientRect();
    frame.contentWindow.postMessage({ robertaDemoClick: { x: event.clientX - box.left, y: event.clientY - box.top } }, "*");
  }, true);
  new MutationObserver(() => {
    frames().forEach((frame) => {
      if (frame.contentWindow) frame.contentWindow.postMessage(frameState(), "*");
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  // Gradio draws a new view into the same frame element (it sets `srcdoc`): until the new document reports its
  // height the frame is not fitted, and the page moves under a click made meanwhile.
  new MutationObserver((changes) => {
    changes.forEach((change) => {
      if (change.target.matches && change.target.matches("iframe.bertviz-frame")) delete change.target.dataset.fitted;
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["srcdoc"], subtree: true });

  // Every plotly chart gets PNG and SVG downloads at slide resolution in its toolbar. Gradio draws charts
  // with Plotly.react and no way to pass a toolbar config, so the config is added to each react call.
  const SLIDE = { width: 1920, height: 1080 };
  const filename = (gd) => {
    const title = gd.layout && gd.layout.title && gd.layout.title.text;
    return (title || "chart").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase() || "chart";
  };
  const buttons = (Plotly) => [
    { name: "Download PNG (1920×1080)", icon: Plotly.Icons.camera,
      click: (gd) => Plotly.downloadImage(gd, { format: "png", ...SLIDE, filename: filename(gd) }) },
    { name: "Download SVG (1920×1080)", icon: Plotly.Icons.disk || Plotly.Icons.camera,
      click: (gd) => Plotly.downloadImage(gd, { format: "svg", ...SLIDE, filename: filename(gd) }) },
  ];
  // A chart is a picture to a screen reader: give it its title as a name, and its numbers as a table right after
  // it (visually hidden), which a screen reader reaches in reading order. Big heatmaps are cut to 64 × 64 cells.
  const CELLS = 64;
  const plain = (text) => String(text === undefined || text === null ? "" : text).replace(/<[^>]*>/g, "");
  const titleOf = (gd) => plain(gd.layout && gd.layout.title && gd.layout.title.text) || "Chart";
  const cellText = (value) => (typeof value === "number" ? String(Math.round(value * 10000) / 10000) : plain(value));
  const traceRows = (trace) => {
    if (trace.type === "heatmap") {
      const z = trace.z || [], x = trace.x || (z[0] || []).map((_, i) => i), y = trace.y || z.map((_, i) => i);
      return [["", ...x.slice(0, CELLS).map(plain)],
              ...z.slice(0, CELLS).map((row, i) => [plain(y[i]), ...row.slice(0, CELLS).map(cellText)])];
    }
    const horizontal = trace.orientation === "h";
    const labels = (horizontal ? trace.y : trace.x) || [], values = (horizontal ? trace.x : trace.y) || [];
    const rows = labels.map((label, i) => [plain(label), cellText(values[i])]);
    return [[plain(trace.name) || "", "value"], ...rows];
  };
  const describeChart = (gd) => {
    const name = titleOf(gd);
    const svgs = gd.querySelectorAll("svg.main-svg");
    svgs.forEach((svg, index) => {
      if (index === 0) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", name); }
      else svg.setAttribute("aria-hidden", "true");
    });
    // A table is never narrower than its content, so the hidden box is a div around it.
    let holder = gd.parentElement && gd.parentElement.querySelector(":scope > div.chart-data");
    if (!holder) {
      holder = document.createElement("div");
      holder.className = "chart-data sr-only";
      holder.appendChild(document.createElement("table"));
      gd.insertAdjacentElement("afterend", holder);
    }
    const table = holder.firstElementChild;
    table.textContent = "";
    const caption = document.createElement("caption");
    caption.textContent = name + ": the numbers";
    table.appendChild(caption);
    (gd.data || []).forEach((trace) => {
      traceRows(trace).forEach((cells, rowIndex) => {
        const row = document.createElement("tr");
        cells.forEach((cell, cellIndex) => {
          const element = document.createElement(rowIndex === 0 || cellIndex === 0 ? "th" : "td");
          element.textContent = cell;  // labels are user text: always text, never markup
          row.appendChild(element);
        });
        table.appendChild(row);
      });
    });
  };

  const patch = (Plotly) => {
    if (!Plotly || Plotly.robertaDemoPatched) return;
    const react = Plotly.react;
    Plotly.react = function (gd, data, layout, config) {
      const toolbar = { displaylogo: false, modeBarButtonsToRemove: ["toImage", "lasso2d", "select2d"],
                        modeBarButtonsToAdd: buttons(Plotly) };
      const drawn = react.call(this, gd, data, layout, Object.assign({}, config, toolbar));
      Promise.resolve(drawn).then(() => describeChart(gd)).catch(() => {});
      return drawn;
    };
    Plotly.robertaDemoPatched = true;
  };
  if (window.Plotly) {
    patch(window.Plotly);
  } else {
    let plotly;  // Gradio loads plotly.js with the first chart and publishes it as window.Plotly
    Object.defineProperty(window, "Plotly", {
      configurable: true,
      get: () => plotly,
      set: (value) => { plotly = value; patch(value); },
    });
  }
}
