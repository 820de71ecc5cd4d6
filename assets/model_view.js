// roberta_demo model view: every head of every layer as a small heatmap on a canvas, drawn in one pass however
// long the input; click a head to see it in full, as bertviz draws a head: lines from each token to the tokens it
// attends to (only the weights that matter), the hovered token's lines alone. By keyboard: the heads are one tab
// stop (arrow keys, Home and End move between them), Enter or Space opens one, Escape comes back to it.
(function () {
  "use strict";
  var p = window.robertaDemoModelView;
  var L = p.shape[0], H = p.shape[1], N = p.shape[2], SIZE = N * N;
  var binary = atob(p.weights), bytes = new Uint8Array(binary.length);
  for (var b = 0; b < binary.length; b++) { bytes[b] = binary.charCodeAt(b); }

  // White (nothing) to dark blue (all of the attention); the square root lifts the small weights into view.
  var ramp = new Uint8ClampedArray(256 * 4);
  for (var v = 0; v < 256; v++) {
    var t = Math.sqrt(v / 255);
    ramp[v * 4] = 248 - t * (248 - 30); ramp[v * 4 + 1] = 250 - t * (250 - 58); ramp[v * 4 + 2] = 252 - t * (252 - 138);
    ramp[v * 4 + 3] = 255;
  }
  function weight(layer, head, row, col) { return bytes[(layer * H + head) * SIZE + row * N + col] / 255; }

  function drawThumbnail(canvas, layer, head) {
    var context = canvas.getContext("2d"), image = context.createImageData(N, N), start = (layer * H + head) * SIZE;
    for (var i = 0; i < SIZE; i++) {
      var c = bytes[start + i] * 4, o = i * 4;
      image.data[o] = ramp[c]; image.data[o + 1] = ramp[c + 1]; image.data[o + 2] = ramp[c + 2]; image.data[o + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  var grid = document.getElementById("grid"), detail = document.getElementById("detail");
  var help = document.createElement("p");
  help.id = "keys"; help.className = "keys";
  help.textContent = "Click a head to see it in full, or use the arrow keys and Enter; Escape comes back.";
  grid.appendChild(help);
  var table = document.createElement("table"), header = document.createElement("tr");
  table.setAttribute("aria-label", "Every head of every layer (" + L + " layers × " + H + " heads)");
  header.appendChild(document.createElement("th"));
  for (var h = 0; h < H; h++) {
    var th = document.createElement("th"); th.textContent = "head " + h; header.appendChild(th);
  }
  table.appendChild(header);
  for (var l = 0; l < L; l++) {
    var row = document.createElement("tr"), label = document.createElement("th");
    label.textContent = "layer " + l; row.appendChild(label);
    for (var k = 0; k < H; k++) {
      var cell = document.createElement("td"), canvas = document.createElement("canvas");
      canvas.width = N; canvas.height = N; canvas.className = "thumb";
      canvas.title = "layer " + l + ", head " + k + ": click to see it in full";
      canvas.dataset.layer = l; canvas.dataset.head = k;
      canvas.setAttribute("role", "button");
      canvas.setAttribute("aria-label", "Layer " + l + ", head " + k);
      canvas.setAttribute("aria-describedby", "keys");
      canvas.tabIndex = l === 0 && k === 0 ? 0 : -1;  // one tab stop for the grid; the arrows move within it
      drawThumbnail(canvas, l, k);
      cell.appendChild(canvas); row.appendChild(cell);
    }
    table.appendChild(row);
  }
  grid.appendChild(table);
  grid.addEventListener("click", function (event) {
    var target = event.target;
    if (target.classList.contains("thumb")) { showHead(+target.dataset.layer, +target.dataset.head); }
  });

  function thumb(layer, head) { return table.querySelector("canvas[data-layer='" + layer + "'][data-head='" + head + "']"); }
  function focusHead(layer, head) {
    var next = thumb(Math.max(0, Math.min(L - 1, layer)), Math.max(0, Math.min(H - 1, head)));
    table.querySelectorAll("canvas.thumb").forEach(function (canvas) { canvas.tabIndex = canvas === next ? 0 : -1; });
    next.focus();
  }
  var MOVES = {ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0]};
  grid.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.classList.contains("thumb")) { return; }
    var layer = +target.dataset.layer, head = +target.dataset.head, move = MOVES[event.key];
    if (move) { focusHead(layer + move[0], head + move[1]); }
    else if (event.key === "Home") { focusHead(event.ctrlKey ? 0 : layer, 0); }
    else if (event.key === "End") { focusHead(event.ctrlKey ? L - 1 : layer, H - 1); }
    else if (event.key === "Enter" || event.key === " ") { showHead(layer, head); }
    else { return; }
    event.preventDefault();
  });
  detail.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); showGrid(); }
  });

  var SVG = "http://www.w3.org/2000/svg", ROW = 18, THRESHOLD = 0.02;
  function svgElement(name, attributes) {
    var element = document.createElementNS(SVG, name);
    for (var key in attributes) { element.setAttribute(key, attributes[key]); }
    return element;
  }

  var opened = null;  // the head shown in full, [layer, head]
  function showGrid() {
    detail.hidden = true; grid.hidden = false;
    if (opened) { focusHead(opened[0], opened[1]); }
    opened = null;
    tellPage();
  }
  // The page keeps which head is open, so that a frame drawn again with the same view (the page redraws it when
  // an option changes) opens it again instead of dropping what the reader chose.
  function tellPage() {
    if (window.parent !== window) { window.parent.postMessage({robertaDemoOpened: {key: p.key, head: opened}}, "*"); }
  }
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.robertaDemoOpen && data.robertaDemoOpen.key === p.key && data.robertaDemoOpen.head && !opened) {
      showHead(data.robertaDemoOpen.head[0], data.robertaDemoOpen.head[1]);
    }
  });
  // Ask again now that this listener is there: the page may have answered the first question (asked before this
  // script ran) before it could be heard.
  if (window.parent !== window) { window.parent.postMessage({robertaDemoAsk: "theme"}, "*"); }

  function showHead(layer, head) {
    detail.textContent = "";
    opened = [layer, head];
    var back = document.createElement("button");
    back.textContent = "← every head"; back.id = "back";
    back.setAttribute("aria-keyshortcuts", "Escape");
    back.addEventListener("click", showGrid);
    var title = document.createElement("h3");
    title.textContent = "Layer " + layer + ", head " + head + " — lines for weights of " + THRESHOLD * 100 + "% and more";
    detail.appendChild(back); detail.appendChild(title);
    var width = 560, left = 200, right = width - 200;
    var svg = svgElement("svg", {width: width, height: N * ROW + 10, id: "lines"});
    var lines = [];
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var w = weight(layer, head, i, j);
        if (w < THRESHOLD) { continue; }
        var line = svgElement("line", {x1: left + 6, y1: i * ROW + 14, x2: right - 6, y2: j * ROW + 14,
          "stroke-width": 2, "stroke-opacity": Math.min(1, w * 1.5), "class": "line"});
        line.dataset.query = i; lines.push(line); svg.appendChild(line);
      }
    }
    p.tokens.forEach(function (token, index) {
      [["end", left], ["start", right]].forEach(function (side) {
        var text = svgElement("text", {x: side[1], y: index * ROW + 18, "text-anchor": side[0], "class": "token"});
        text.textContent = token;  // user text: always text, never markup
        if (side[0] === "end") {
          text.addEventListener("mouseenter", function () {
            lines.forEach(function (line) { line.style.display = +line.dataset.query === index ? "" : "none"; });
          });
          text.addEventListener("mouseleave", function () { lines.forEach(function (line) { line.style.display = ""; }); });
        }
        svg.appendChild(text);
      });
    });
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Layer " + layer + ", head " + head + ": lines from each token to the tokens it attends to");
    detail.appendChild(svg);
    grid.hidden = true; detail.hidden = false;
    back.focus();
    tellPage();
  }
  document.body.setAttribute("data-drawn", String(L * H));
})();
