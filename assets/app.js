() => {
  // roberta_demo page script: presentation mode, themed bertviz frames, slide-sized chart downloads.

  // Presentation mode: large type, high contrast, wide layout. `?present=1` or the header's button.
  const query = new URLSearchParams(window.location.search);
  if (query.get("present") === "1") document.body.classList.add("present");

  // `?lang=` (applied by the server before Gradio starts) is kept by links within the app.
  const lang = query.get("lang");

  // Links within the app (`?tab=…`, the explainer's "Try it") keep presentation mode and the theme.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href^='?']");
    if (!link) return;
    const target = new URLSearchParams(link.getAttribute("href").slice(1));
    if (document.body.classList.contains("present")) target.set("present", "1");
    if (query.get("__theme")) target.set("__theme", query.get("__theme"));
    if (lang && !target.get("lang")) target.set("lang", lang);
    event.preventDefault();
    window.location.search = target.toString();
  }, true);

  // The attention views run in sandboxed frames that cannot see the page: answer their question about the theme
  // and presentation mode, tell them again whenever either changes, and give each frame the height it reports
  // (its content grows in presentation mode, and the model view's detail is taller than its grid).
  const theme = () => (document.body.classList.contains("dark") ? "dark" : "light");
  const frameState = () => ({ robertaDemoTheme: theme(), robertaDemoPresent: document.body.classList.contains("present") });
  const frames = () => Array.from(document.querySelectorAll("iframe.bertviz-frame"));
  window.addEventListener("message", (event) => {
    const data = event.data || {};
    const frame = frames().find((candidate) => candidate.contentWindow === event.source);
    if (!frame) return;
    if (data.robertaDemoAsk === "theme") event.source.postMessage(frameState(), "*");
    const height = Number(data.robertaDemoHeight);
    if (height > 0) {
      frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
      frame.dataset.fitted = String(Math.ceil(height));  // the frame's layout has settled (tests wait for this)
    }
  });
  new MutationObserver(() => {
    frames().forEach((frame) => {
      if (frame.contentWindow) frame.contentWindow.postMessage(frameState(), "*");
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["class"] });

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
  const patch = (Plotly) => {
    if (!Plotly || Plotly.robertaDemoPatched) return;
    const react = Plotly.react;
    Plotly.react = function (gd, data, layout, config) {
      const toolbar = { displaylogo: false, modeBarButtonsToRemove: ["toImage", "lasso2d", "select2d"],
                        modeBarButtonsToAdd: buttons(Plotly) };
      return react.call(this, gd, data, layout, Object.assign({}, config, toolbar));
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
