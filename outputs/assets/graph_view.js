// Pan, zoom and click for the inline SVG of `hflineage graph --out FILE.html`; no library, no network.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lineage-data").textContent);
  var view = document.getElementById("view");
  var svg = view.querySelector("svg");
  var info = document.getElementById("info");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  var full = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  var box = full.slice();

  function apply() { svg.setAttribute("viewBox", box.join(" ")); }

  function fit() { box = full.slice(); apply(); }

  // the SVG point under a client position, for zooming around the cursor
  function toSvg(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    var scale = Math.max(box[2] / r.width, box[3] / r.height);  // preserveAspectRatio meet
    var cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2;
    return [cx + (clientX - (r.left + r.width / 2)) * scale, cy + (clientY - (r.top + r.height / 2)) * scale];
  }

  function zoom(factor, clientX, clientY) {
    var r = svg.getBoundingClientRect();
    if (clientX === undefined) { clientX = r.left + r.width / 2; clientY = r.top + r.height / 2; }
    var p = toSvg(clientX, clientY);
    var w = box[2] * factor, h = box[3] * factor;
    if (w < full[2] / 50 || w > full[2] * 20) return;
    box = [p[0] - (p[0] - box[0]) * factor, p[1] - (p[1] - box[1]) * factor, w, h];
    apply();
  }

  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
  }, { passive: false });

  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, box: box.slice(), moved: false };
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    view.classList.add("dragging");
    var r = svg.getBoundingClientRect();
    var scale = Math.max(box[2] / r.width, box[3] / r.height);
    box = [drag.box[0] - dx * scale, drag.box[1] - dy * scale, box[2], box[3]];
    apply();
  });
  window.addEventListener("pointerup", function () {
    if (drag && drag.moved) view.dataset.justDragged = "1";
    drag = null;
    view.classList.remove("dragging");
  });

  function text(tag, value) { var el = document.createElement(tag); el.textContent = value; return el; }

  function show(i) {
    var n = data.nodes[i];
    info.textContent = "";
    info.appendChild(text("h2", n.id));
    var dl = document.createElement("dl");
    var rows = [
      ["role", n.role === "focus" ? "the model asked about" : n.role + " (" + Math.abs(n.level) + " hop" + (Math.abs(n.level) === 1 ? "" : "s") + ")"],
      ["license", n.missing ? "(placeholder)" : (n.license || "(none)")],
      ["downloads", n.missing ? "(placeholder)" : n.downloads.toLocaleString("en")],
      ["pipeline", n.pipeline_tag || "(none)"],
      ["bases", n.bases + (n.hidden_bases ? " (" + n.hidden_bases + " not drawn)" : "")],
      ["derived", n.children + (n.hidden_children ? " (" + n.hidden_children + " not drawn)" : "")]
    ];
    data.edges.forEach(function (e) {
      if (e.child === n.id) rows.push([e.relation + " of", e.base]);
    });
    rows.forEach(function (r) { dl.appendChild(text("dt", r[0])); dl.appendChild(text("dd", r[1])); });
    info.appendChild(dl);
    var link = document.createElement("p");
    if (!n.missing) {
      var a = text("a", "open on the Hub");
      a.href = "https://huggingface.co/" + n.id;
      a.target = "_blank";
      a.rel = "noopener";
      link.appendChild(a);
      info.appendChild(link);
    }
    svg.querySelectorAll("g.node.selected").forEach(function (g) { g.classList.remove("selected"); });
    document.getElementById("n" + i).classList.add("selected");
  }

  svg.querySelectorAll("g.node").forEach(function (g) {
    g.addEventListener("click", function (e) {
      if (view.dataset.justDragged) { delete view.dataset.justDragged; return; }
      e.stopPropagation();
      show(Number(g.id.slice(1)));
    });
  });
  view.addEventListener("click", function () { delete view.dataset.justDragged; });

  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1 / 1.3); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1.3); });
  document.getElementById("fit").addEventListener("click", fit);
  // A wide family fitted whole is unreadable: open at natural size around the model asked about.
  function start() {
    var r = svg.getBoundingClientRect();
    var scale = Math.max(full[2] / r.width, full[3] / r.height);
    if (scale <= 1.6) return;
    var focus = data.nodes.findIndex(function (n) { return n.role === "focus"; });
    var fr = document.getElementById("n" + focus).getBoundingClientRect();
    var c = toSvg(fr.left + fr.width / 2, fr.top + fr.height / 2);
    var w = r.width, h = r.height;
    box = [c[0] - w / 2, Math.max(full[1], c[1] - h / 3), w, h];
    apply();
  }
  start();
  window.hflineageGraph = { data: data, show: show, zoom: zoom, fit: fit, box: function () { return box.slice(); } };
})();
