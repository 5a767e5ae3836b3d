/* The alliance network page: draws the view with vis-network and adds search, filters,
 * neighbourhood highlighting, tooltips, a details panel and an SVG export.
 *
 * Text from data is only ever set with textContent, or written into SVG escaped for XML.
 * Links are made only for http:// and https:// addresses. Nothing here makes a request, and the
 * page's Content-Security-Policy would block one if it did.
 *
 * Year filter: alliances of unknown year stay visible until a year is set in "from" or "to";
 * once a range is set, only alliances with a known year inside it are shown. The year slider
 * ("Growth by year") moves the "to" end of that filter; its last step, "All years", empties it.
 */
(function () {
  "use strict";

  if (window.location.hash === "#export") document.body.classList.add("export");

  const COLOR = /^(#[0-9a-fA-F]{3,8}|(rgb|rgba|hsl|hsla)\(\s*[0-9.%,\s/-]+\)|[a-zA-Z]{3,30})$/;

  Promise.all([readPayload("alliance-data"), readPayload("alliance-network")])
    .then(function (payloads) { start(payloads[0], payloads[1]); })
    .catch(function (error) {
      document.getElementById("network").appendChild(
        el("p", { className: "failure" }, "The network could not be drawn: " + error.message));
      throw error;
    });

  function start(data, view) {
    const meta = data.meta || {};
    const nodeInfo = data.nodes || {};
    const edgeInfo = data.edges || {};
    const alliances = data.alliances || {};
    const legend = data.legend || {};
    const options = view.options || {};

    const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const globalFont = (options.nodes && typeof options.nodes.font === "object" && options.nodes.font) || {};
    const FONT_COLOR = globalFont.color || "#1b1f24";
    const FONT_SIZE = globalFont.size || 16;
    const FONT_STACK = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif";
    // Highlighting veils the drawing in white and draws the neighbourhood again on top, so a
    // click costs one redraw whatever the size of the network (no data is updated).
    const VEIL = 0.82;
    const KIND_LABELS = {
      "organisation": "Organisation",
      "group": "Corporate group",
      "joint-venture": "Joint venture",
      "unnamed": "Unnamed party",
      "alliance-hub": "Programme or coalition",
    };
    const LANGUAGE_LABELS = { en: "English", zh: "Chinese", de: "German" };

    // vis-network would show a `title` as its own tooltip; the page has its own.
    const withoutTitle = function (item) {
      const copy = Object.assign({}, item);
      delete copy.title;
      return copy;
    };
    // A selected or hovered node keeps its sector colour and gets a dark ring.
    const INK = "#14171c";
    // vis-network draws no names: it skips them all below a zoom threshold and never avoids
    // overlaps. The page places them itself (labelLayout), on the canvas and in the SVG alike.
    const nodeItems = (view.nodes || []).map(function (node) {
      const item = withoutTitle(node);
      item.label = undefined;
      if (typeof node.color === "string") {
        item.color = { background: node.color, border: node.color,
          highlight: { background: node.color, border: INK }, hover: { background: node.color, border: INK } };
      } else if (node.color && typeof node.color === "object" && node.color.background) {
        const ring = { background: node.color.background, border: INK };
        item.color = Object.assign({ highlight: ring, hover: ring }, node.color);
      }
      return item;
    });
    // Membership of a programme or coalition is dashed, as the legend says, unless the view decides.
    const edgeItems = (view.edges || []).map(function (edge) {
      const item = withoutTitle(edge);
      if (item.dashes === undefined && (edgeInfo[edge.id] || {}).relation === "member") item.dashes = true;
      return item;
    });
    const nodeById = new Map(nodeItems.map(function (n) { return [n.id, n]; }));
    const edgeById = new Map(edgeItems.map(function (e) { return [e.id, e]; }));
    const incident = new Map();
    edgeItems.forEach(function (edge) {
      [edge.from, edge.to].forEach(function (id) {
        if (!incident.has(id)) incident.set(id, []);
        incident.get(id).push(edge.id);
      });
    });

    // ---------------------------------------------------------------- network
    const nodes = new vis.DataSet(nodeItems);
    const edges = new vis.DataSet(edgeItems);
    const container = document.getElementById("network");
    const network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
    network.fit({ animation: false });

    const state = {
      filters: { material: "", pathway: "", type: "", from: null, to: null },
      focus: null,
      visibleNodes: new Set(nodeItems.map(function (n) { return n.id; })),
      visibleEdges: new Set(edgeItems.map(function (e) { return e.id; })),
      hiddenNodes: new Set(),
      hiddenEdges: new Set(),
      highlight: null, // {nodes: Set, edges: Set} drawn above the veil, or null
    };

    let drawn = false;
    network.on("afterDrawing", function (ctx) {
      if (state.highlight) drawHighlight(ctx, state.highlight);
      drawLabels(ctx);
      if (drawn) return;
      drawn = true;
      window.allianceGraphReadyAt = performance.now();
      window.allianceGraphReady = true;
      document.body.dataset.ready = "true";
    });

    // ---------------------------------------------------------------- elements
    const $ = function (id) { return document.getElementById(id); };
    const ui = {
      search: $("search"),
      results: $("search-results"),
      searchStatus: $("search-status"),
      material: $("filter-material"),
      pathway: $("filter-pathway"),
      type: $("filter-type"),
      from: $("year-from"),
      to: $("year-to"),
      growth: $("growth-year"), // absent when no alliance has a known year
      play: $("growth-play"),
      growthLabel: $("growth-label"),
      reset: $("reset"),
      count: $("count"),
      details: $("details-body"),
      tooltip: $("tooltip"),
      sources: $("source-list"),
    };

    // ---------------------------------------------------------------- filters
    function filterActive(f) {
      return Boolean(f.material || f.pathway || f.type || f.from !== null || f.to !== null);
    }

    function alliancePasses(alliance, f) {
      if (!alliance) return false;
      if (f.material && (alliance.material_keys || []).indexOf(f.material) < 0) return false;
      if (f.pathway && (alliance.pathway_keys || []).indexOf(f.pathway) < 0) return false;
      if (f.type && (alliance.type_keys || []).indexOf(f.type) < 0) return false;
      if (f.from !== null || f.to !== null) {
        const year = alliance.year;
        if (typeof year !== "number") return false;
        if (f.from !== null && year < f.from) return false;
        if (f.to !== null && year > f.to) return false;
      }
      return true;
    }

    function computeVisibility(f) {
      const active = filterActive(f);
      const visibleNodes = new Set();
      const visibleEdges = new Set();
      if (!active) {
        nodeItems.forEach(function (n) { visibleNodes.add(n.id); });
        edgeItems.forEach(function (e) { visibleEdges.add(e.id); });
        return { visibleNodes: visibleNodes, visibleEdges: visibleEdges };
      }
      const passes = new Map();
      Object.keys(alliances).forEach(function (id) { passes.set(id, alliancePasses(alliances[id], f)); });
      edgeItems.forEach(function (edge) {
        const info = edgeInfo[edge.id];
        const ids = (info && info.alliances) || [];
        if (ids.some(function (id) { return passes.get(id) === true; })) {
          visibleEdges.add(edge.id);
          visibleNodes.add(edge.from);
          visibleNodes.add(edge.to);
        }
      });
      return { visibleNodes: visibleNodes, visibleEdges: visibleEdges };
    }

    function readYear(input) {
      const text = input.value.trim();
      if (text === "") return null;
      const year = parseInt(text, 10);
      return Number.isFinite(year) ? year : null;
    }

    function readFilters() {
      state.filters = {
        material: ui.material.value,
        pathway: ui.pathway.value,
        type: ui.type.value,
        from: readYear(ui.from),
        to: readYear(ui.to),
      };
      applyFilters();
      syncGrowth();
    }

    function applyFilters() {
      const result = computeVisibility(state.filters);
      const nodeChanges = [];
      const edgeChanges = [];
      nodeItems.forEach(function (n) {
        const hidden = !result.visibleNodes.has(n.id);
        if (hidden !== state.hiddenNodes.has(n.id)) {
          nodeChanges.push({ id: n.id, hidden: hidden });
          if (hidden) state.hiddenNodes.add(n.id); else state.hiddenNodes.delete(n.id);
        }
      });
      edgeItems.forEach(function (e) {
        const hidden = !result.visibleEdges.has(e.id);
        if (hidden !== state.hiddenEdges.has(e.id)) {
          edgeChanges.push({ id: e.id, hidden: hidden });
          if (hidden) state.hiddenEdges.add(e.id); else state.hiddenEdges.delete(e.id);
        }
      });
      state.visibleNodes = result.visibleNodes;
      state.visibleEdges = result.visibleEdges;
      if (nodeChanges.length) nodes.update(nodeChanges);
      if (edgeChanges.length) edges.update(edgeChanges);
      if (state.focus !== null) {
        if (state.visibleNodes.has(state.focus)) highlightNode(state.focus);
        else clearSelection();
      }
      updateCount();
    }

    function setFilters(values) {
      const v = values || {};
      stopGrowth();
      if ("material" in v) ui.material.value = v.material || "";
      if ("pathway" in v) ui.pathway.value = v.pathway || "";
      if ("type" in v) ui.type.value = v.type || "";
      if ("from" in v) ui.from.value = v.from === null || v.from === undefined ? "" : String(v.from);
      if ("to" in v) ui.to.value = v.to === null || v.to === undefined ? "" : String(v.to);
      readFilters();
    }

    function visibleCounts() {
      let organisations = 0;
      let hubs = 0;
      state.visibleNodes.forEach(function (id) {
        const info = nodeInfo[id];
        if (info && info.kind === "alliance-hub") hubs += 1; else organisations += 1;
      });
      return { nodes: state.visibleNodes.size, organisations: organisations, hubs: hubs, edges: state.visibleEdges.size };
    }

    function updateCount() {
      const c = visibleCounts();
      ui.count.textContent = plural(c.organisations, "organisation") + ", " + plural(c.edges, "link") + " shown";
      ui.count.dataset.nodes = String(c.nodes);
      ui.count.dataset.organisations = String(c.organisations);
      ui.count.dataset.edges = String(c.edges);
    }

    // ---------------------------------------------------------------- labels
    /* Which nodes are named, and where: one greedy placement for the page, the SVG and so the PNG.
       Candidates come in order of importance (the view's rank by the size measure; programme and
       coalition hubs after every organisation). Each name is tried below, above, beside and at the
       corners of its node; it is kept at the first place whose box meets no name already placed and
       no named node, inside the drawing. Text is measured by the browser (canvas measureText with the
       font the drawing uses), so the boxes are those of the text as drawn, in any script. */
    const LABEL_WEIGHT = 600;
    const LABEL_PAD = 3; // around the text: room for the white halo
    const TOP_LABELS = 10; // drawn a size larger
    const measurer = document.createElement("canvas").getContext("2d");
    const measured = new Map();
    const degree = new Map();
    edgeItems.forEach(function (e) { [e.from, e.to].forEach(function (id) { degree.set(id, (degree.get(id) || 0) + 1); }); });
    const labelOrder = nodeItems.map(function (n) { return n.id; }).sort(function (a, b) {
      const ia = nodeInfo[a] || {}, ib = nodeInfo[b] || {};
      const hubA = ia.kind === "alliance-hub" ? 1 : 0, hubB = ib.kind === "alliance-hub" ? 1 : 0;
      const ra = typeof ia.rank === "number" ? ia.rank : Infinity, rb = typeof ib.rank === "number" ? ib.rank : Infinity;
      return hubA - hubB || (ra === rb ? 0 : ra < rb ? -1 : 1) || nodeSize(b) - nodeSize(a) ||
        (degree.get(b) || 0) - (degree.get(a) || 0) || (a < b ? -1 : a > b ? 1 : 0);
    });

    const texts = new Map();
    function labelText(id) {
      let value = texts.get(id);
      if (value === undefined) { value = clip(nodeLabel(id), 40); texts.set(id, value); }
      return value;
    }

    function labelFont(size) { return LABEL_WEIGHT + " " + size + "px " + FONT_STACK; }

    function measureLabel(label, size) {
      const key = size + "\u0000" + label;
      let m = measured.get(key);
      if (!m) {
        measurer.font = labelFont(size);
        const metrics = measurer.measureText(label);
        const ascent = Math.max(metrics.fontBoundingBoxAscent || 0, metrics.actualBoundingBoxAscent || 0, size * 0.95);
        const descent = Math.max(metrics.fontBoundingBoxDescent || 0, metrics.actualBoundingBoxDescent || 0, size * 0.25);
        const left = Math.max(0, metrics.actualBoundingBoxLeft || 0);
        const width = Math.max(metrics.width, left + (metrics.actualBoundingBoxRight || 0));
        m = { width: width, left: left, ascent: ascent, descent: descent };
        measured.set(key, m);
      }
      return m;
    }

    /* place(id) gives {x, y, r} in output pixels (or null when not drawn); bounds is the drawing's
       box; base the font size. Returns [{id, text, size, x, y, w, h, baseline, anchorX}] where
       (x, y, w, h) is the label's box including its halo. */
    function labelLayout(place, bounds, base, only) {
      // A uniform grid of the boxes placed so far: a test looks only at the cells a box covers.
      const CELL = 64;
      const grid = new Map();
      const cellKey = function (gx, gy) { return gx * 1048576 + gy; };
      const add = function (b) {
        for (let gx = Math.floor(b.x / CELL); gx <= Math.floor((b.x + b.w) / CELL); gx++) {
          for (let gy = Math.floor(b.y / CELL); gy <= Math.floor((b.y + b.h) / CELL); gy++) {
            const key = cellKey(gx, gy);
            const list = grid.get(key);
            if (list) list.push(b); else grid.set(key, [b]);
          }
        }
      };
      const free = function (b) {
        if (b.x < bounds.x || b.y < bounds.y || b.x + b.w > bounds.x + bounds.w || b.y + b.h > bounds.y + bounds.h) return false;
        for (let gx = Math.floor(b.x / CELL); gx <= Math.floor((b.x + b.w) / CELL); gx++) {
          for (let gy = Math.floor(b.y / CELL); gy <= Math.floor((b.y + b.h) / CELL); gy++) {
            const list = grid.get(cellKey(gx, gy));
            if (!list) continue;
            for (let i = 0; i < list.length; i++) {
              const o = list[i];
              if (!(b.x >= o.x + o.w || o.x >= b.x + b.w || b.y >= o.y + o.h || o.y >= b.y + b.h)) return false;
            }
          }
        }
        return true;
      };
      const placed = [];
      const discs = new Map();
      labelOrder.forEach(function (id) {
        if (only && !only.has(id)) return;
        const p = place(id);
        if (!p) return;
        // Outside the drawing (zoomed in): no place can be free.
        if (p.x + p.r < bounds.x || p.x - p.r > bounds.x + bounds.w || p.y + p.r < bounds.y || p.y - p.r > bounds.y + bounds.h) return;
        const disc = { x: p.x - p.r, y: p.y - p.r, w: 2 * p.r, h: 2 * p.r };
        discs.set(id, disc);
        const label = labelText(id);
        const size = placed.length < TOP_LABELS ? Math.round(base * 1.2) : base;
        const m = measureLabel(label, size);
        const w = m.width + 2 * LABEL_PAD, h = m.ascent + m.descent + 2 * LABEL_PAD;
        // Close to the node first; then one and two lines further out, which a crowded centre needs.
        const spots = [];
        [2, 2 + h, 2 + 2 * h].forEach(function (gap) {
          const d = p.r * 0.72 + gap / 2;
          spots.push([p.x - w / 2, p.y + p.r + gap], [p.x - w / 2, p.y - p.r - gap - h],
            [p.x + p.r + gap, p.y - h / 2], [p.x - p.r - gap - w, p.y - h / 2],
            [p.x + d, p.y + d], [p.x - d - w, p.y + d], [p.x + d, p.y - d - h], [p.x - d - w, p.y - d - h]);
        });
        // A named node's disc becomes an obstacle too, so a later name cannot hide it.
        for (let i = 0; i < spots.length; i++) {
          const box = { x: spots[i][0], y: spots[i][1], w: w, h: h };
          if (!free(box) || overlapsDisc(box, id)) continue;
          add(box);
          add(disc);
          placed.push({ id: id, text: label, size: size, x: box.x, y: box.y, w: w, h: h,
            textX: box.x + LABEL_PAD + m.left, baseline: box.y + LABEL_PAD + m.ascent });
          return;
        }
      });
      return placed;

      function overlapsDisc(box, own) {
        // the discs of named nodes are in the grid already; a name must not cover its own node either
        const d = discs.get(own);
        return !(box.x >= d.x + d.w || d.x >= box.x + box.w || box.y >= d.y + d.h || d.y >= box.y + box.h);
      }
    }

    /* Font size of names for an output width: 18 px at 1920, never below 14. */
    function labelBase(width) { return Math.max(14, Math.min(28, Math.round(18 * width / 1920))); }

    // Placing names costs about as much as drawing a network of thousands of nodes: where the view
    // hides edges while dragging (html.py decides, above LARGE_NETWORK nodes), names wait too.
    const namesWaitWhileMoving = Boolean(options.interaction && options.interaction.hideEdgesOnDrag);
    let moving = false;
    let settle = null;
    function movingFor(ms) {
      if (!namesWaitWhileMoving) return;
      moving = true;
      if (settle !== null) window.clearTimeout(settle);
      settle = ms > 0 ? window.setTimeout(function () { settle = null; moving = false; network.redraw(); }, ms) : null;
    }
    network.on("dragStart", function () { movingFor(0); });
    network.on("dragEnd", function () { moving = false; network.redraw(); });
    network.on("zoom", function () { movingFor(200); });
    let pageLabels = [];
    let pageLabelKey = null; // names are placed again only when the view moved, resized or changed
    let pageLabelOnly = null;
    /* Names on the canvas, in screen pixels whatever the zoom; while a neighbourhood is shown, only its names. */
    function drawLabels(ctx) {
      if (moving) return; // a large network drops its names while it is dragged or zoomed, as it drops its edges
      const scale = network.getScale();
      const origin = network.canvasToDOM({ x: 0, y: 0 });
      const width = container.clientWidth, height = container.clientHeight;
      const only = state.highlight ? state.highlight.nodes : null;
      const body = network.body.nodes;
      // The hint line lies over the bottom of the drawing: no name goes under it.
      const hint = document.querySelector(".stage .hint");
      const reserved = hint && hint.offsetParent !== null ? hint.offsetHeight + 12 : 0;
      const key = [scale, origin.x, origin.y, width, height - reserved, state.hiddenNodes.size, state.filters.material,
        state.filters.pathway, state.filters.type, state.filters.from, state.filters.to].join("|");
      const started = performance.now();
      if (key !== pageLabelKey || only !== pageLabelOnly) pageLabels = labelLayout(function (id) {
        if (state.hiddenNodes.has(id)) return null;
        const node = body[id];
        if (!node) return null;
        return { x: origin.x + node.x * scale, y: origin.y + node.y * scale, r: Math.max(2, nodeSize(id) * scale) };
      }, { x: 0, y: 0, w: width, h: height - reserved }, labelBase(Math.max(width, 1280)), only);
      pageLabelKey = key;
      pageLabelOnly = only;
      window.allianceGraphLabelMs = performance.now() - started; // for scripts/bench_network.py and tests
      const ratio = ctx.canvas.width / Math.max(width, 1);
      ctx.save();
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.textBaseline = "alphabetic";
      ctx.lineJoin = "round";
      pageLabels.forEach(function (l) {
        ctx.font = labelFont(l.size);
        ctx.lineWidth = 4;
        ctx.strokeStyle = "#ffffff";
        ctx.strokeText(l.text, l.textX, l.baseline);
        ctx.fillStyle = FONT_COLOR;
        ctx.fillText(l.text, l.textX, l.baseline);
      });
      ctx.restore();
    }

    // ---------------------------------------------------------------- highlighting
    /* Veil the drawing and draw the highlighted edges and nodes again on top. Uses vis-network's
       own node and edge drawing (the 9.1.2 that pyvis 0.3.2 ships, its last release). */
    function drawHighlight(ctx, highlight) {
      const topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
      const bottomRight = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
      ctx.save();
      ctx.fillStyle = "rgba(255, 255, 255, " + VEIL + ")";
      ctx.fillRect(topLeft.x, topLeft.y, bottomRight.x - topLeft.x, bottomRight.y - topLeft.y);
      ctx.restore();
      const body = network.body;
      highlight.edges.forEach(function (id) {
        const edge = body.edges[id];
        if (edge && !state.hiddenEdges.has(id)) edge.draw(ctx);
      });
      const labels = [];
      highlight.nodes.forEach(function (id) {
        const node = body.nodes[id];
        if (!node || state.hiddenNodes.has(id)) return;
        const result = node.draw(ctx);
        if (result && result.drawExternalLabel) labels.push(result.drawExternalLabel);
      });
      labels.forEach(function (draw) { draw(); });
    }

    function setHighlight(highlight) {
      state.highlight = highlight;
      network.redraw();
    }

    function highlightNode(id) {
      const keepNodes = new Set([id]);
      const keepEdges = new Set();
      (incident.get(id) || []).forEach(function (edgeId) {
        if (!state.visibleEdges.has(edgeId)) return;
        const edge = edgeById.get(edgeId);
        keepEdges.add(edgeId);
        keepNodes.add(edge.from);
        keepNodes.add(edge.to);
      });
      setHighlight({ nodes: keepNodes, edges: keepEdges });
    }

    /* Which visible nodes and edges are dimmed now (for tests and the SVG export). */
    function dimmed() {
      const h = state.highlight;
      if (!h) return { nodes: [], edges: [] };
      return {
        nodes: Array.from(state.visibleNodes).filter(function (id) { return !h.nodes.has(id); }).sort(),
        edges: Array.from(state.visibleEdges).filter(function (id) { return !h.edges.has(id); }).sort(),
      };
    }

    function selectNode(id, focus) {
      if (!nodeById.has(id)) return;
      if (!state.visibleNodes.has(id)) {
        // Asked for by name or from a party list: show it rather than select something hidden.
        setFilters({ material: "", pathway: "", type: "", from: null, to: null });
        ui.searchStatus.textContent = "Filters were cleared to show " + nodeLabel(id) + ".";
      }
      hideTooltip();
      state.focus = id;
      highlightNode(id);
      network.selectNodes([id], true);
      if (focus) {
        network.focus(id, {
          scale: Math.max(network.getScale(), 1),
          animation: reducedMotion ? false : { duration: 450, easingFunction: "easeInOutQuad" },
        });
      }
      showNode(id);
    }

    function selectEdge(id) {
      const edge = edgeById.get(id);
      if (!edge) return;
      state.focus = null;
      setHighlight({ nodes: new Set([edge.from, edge.to]), edges: new Set([id]) });
      network.setSelection({ nodes: [], edges: [id] }, { unselectAll: true, highlightEdges: false });
      showEdge(id);
    }

    function clearSelection() {
      state.focus = null;
      network.unselectAll();
      setHighlight(null);
      showNothing();
    }

    network.on("click", function (params) {
      hideTooltip();
      if (params.nodes.length) selectNode(params.nodes[0], false);
      else if (params.edges.length) selectEdge(params.edges[0]);
      else clearSelection();
    });

    // ---------------------------------------------------------------- tooltips
    function placeTooltip(pointer) {
      const stage = ui.tooltip.parentElement.getBoundingClientRect();
      const box = ui.tooltip.getBoundingClientRect();
      let x = pointer.x + 18;
      let y = pointer.y + 18;
      if (x + box.width > stage.width - 8) x = Math.max(8, pointer.x - box.width - 18);
      if (y + box.height > stage.height - 8) y = Math.max(8, pointer.y - box.height - 18);
      ui.tooltip.style.left = x + "px";
      ui.tooltip.style.top = y + "px";
    }

    function showTooltip(lines, pointer) {
      clear(ui.tooltip);
      ui.tooltip.appendChild(el("strong", null, lines[0]));
      lines.slice(1).forEach(function (line) { if (line) ui.tooltip.appendChild(el("span", null, line)); });
      ui.tooltip.hidden = false;
      placeTooltip(pointer);
    }

    function hideTooltip() { ui.tooltip.hidden = true; }

    network.on("hoverNode", function (params) {
      const info = nodeInfo[params.node] || {};
      const kind = KIND_LABELS[info.kind] || info.kind || "";
      const where = [kind, info.sector, info.country].filter(Boolean).join(" · ");
      const count = (info.alliances || []).length;
      showTooltip([nodeLabel(params.node), where, count ? plural(count, "alliance") : ""], params.pointer.DOM);
    });
    network.on("hoverEdge", function (params) {
      const edge = edgeById.get(params.edge);
      if (!edge) return;
      const ids = (edgeInfo[params.edge] || {}).alliances || [];
      const titles = ids.slice(0, 3).map(function (id) { return (alliances[id] || {}).title || id; });
      if (ids.length > 3) titles.push("and " + (ids.length - 3) + " more");
      showTooltip([nodeLabel(edge.from) + " — " + nodeLabel(edge.to)].concat(titles), params.pointer.DOM);
    });
    ["blurNode", "blurEdge", "dragStart", "zoom"].forEach(function (name) { network.on(name, hideTooltip); });

    // ---------------------------------------------------------------- details panel
    function showNothing() {
      clear(ui.details);
      ui.details.appendChild(el("p", { className: "note" }, "Select an organisation or a line."));
    }

    function showNode(id) {
      const info = nodeInfo[id] || {};
      clear(ui.details);
      ui.details.appendChild(el("h3", null, nodeLabel(id)));
      ui.details.appendChild(el("span", { className: "kind" }, KIND_LABELS[info.kind] || info.kind || "Node"));
      const rows = [];
      if (info.sector) rows.push(["Sector", info.sector]);
      if (info.country) rows.push(["Country", info.country]);
      if (info.groups && info.groups.length) rows.push([info.groups.length > 1 ? "Groups" : "Group", info.groups.join("; ")]);
      if (typeof info.measure === "number") rows.push([meta.measure || "Measure", formatMeasure(info.measure)]);
      ui.details.appendChild(definitionList(rows));

      const names = info.names || {};
      const languages = Object.keys(names).filter(function (lang) { return (names[lang] || []).length; });
      if (languages.length) {
        ui.details.appendChild(el("h4", null, "Names"));
        ui.details.appendChild(definitionList(languages.map(function (lang) {
          return [LANGUAGE_LABELS[lang] || lang, names[lang].join("; ")];
        })));
      }
      const ids = info.alliances || [];
      if (ids.length) {
        ui.details.appendChild(el("h4", null, "Alliances (" + ids.length + ")"));
        const list = el("ul", { className: "alliance-list" });
        ids.forEach(function (allianceId) {
          const a = alliances[allianceId] || {};
          const button = el("button", { className: "link", type: "button" }, a.title || allianceId);
          button.addEventListener("click", function () { showAlliances([allianceId], id); });
          const item = el("li");
          item.appendChild(button);
          const when = a.year !== null && a.year !== undefined ? String(a.year) : "";
          const extra = [a.type, when].filter(Boolean).join(", ");
          if (extra) item.appendChild(el("span", { className: "aside" }, extra));
          list.appendChild(item);
        });
        ui.details.appendChild(list);
      }
    }

    function showEdge(id) {
      const edge = edgeById.get(id);
      const info = edgeInfo[id] || {};
      clear(ui.details);
      ui.details.appendChild(el("h3", null, nodeLabel(edge.from) + " — " + nodeLabel(edge.to)));
      if (info.relation === "member") {
        ui.details.appendChild(el("span", { className: "kind" }, "Member of a programme or coalition"));
      } else {
        ui.details.appendChild(el("span", { className: "kind" }, plural((info.alliances || []).length, "alliance")));
      }
      (info.alliances || []).forEach(function (allianceId) { ui.details.appendChild(allianceBlock(allianceId)); });
    }

    function showAlliances(ids, backTo) {
      clear(ui.details);
      if (backTo !== undefined && backTo !== null) {
        const back = el("button", { className: "link", type: "button" }, "← " + nodeLabel(backTo));
        back.addEventListener("click", function () { showNode(backTo); });
        ui.details.appendChild(back);
      }
      ids.forEach(function (id) { ui.details.appendChild(allianceBlock(id)); });
    }

    function allianceBlock(id) {
      const a = alliances[id] || {};
      const block = el("section", { className: "alliance" });
      block.appendChild(el("h4", null, a.title || id));
      const rows = [];
      if (a.type) rows.push(["Type", a.type]);
      rows.push(["Date", a.date || (a.year !== null && a.year !== undefined ? String(a.year) : "unknown")]);
      if (a.parties && a.parties.length) {
        const list = el("ul");
        a.parties.forEach(function (party) {
          const item = el("li");
          if (nodeById.has(party.id)) {
            const button = el("button", { className: "link", type: "button" }, party.label || party.id);
            button.addEventListener("click", function () { selectNode(party.id, true); });
            item.appendChild(button);
          } else {
            item.appendChild(document.createTextNode(party.label || party.id || ""));
          }
          if (party.role) item.appendChild(document.createTextNode(" — " + party.role));
          list.appendChild(item);
        });
        rows.push(["Parties", list]);
      }
      if (a.materials && a.materials.length) rows.push(["Materials", a.materials.join("; ")]);
      if (a.pathways && a.pathways.length) rows.push(["Pathways", a.pathways.join("; ")]);
      if (a.claims && a.claims.length) {
        const list = el("ul");
        a.claims.forEach(function (claim) {
          const amount = [claim.value, claim.unit].filter(function (x) { return x !== null && x !== undefined && x !== ""; }).join(" ");
          list.appendChild(el("li", null, [amount, claim.measure].filter(Boolean).join(" — ")));
        });
        rows.push(["Claims", list]);
      }
      if (a.sources && a.sources.length) {
        const list = el("ul");
        a.sources.forEach(function (source) {
          const item = el("li");
          item.appendChild(sourceLink(source));
          const about = [source.publisher, source.published].filter(Boolean).join(", ");
          if (about) item.appendChild(document.createTextNode(" — " + about));
          list.appendChild(item);
        });
        rows.push(["Sources", list]);
      }
      block.appendChild(definitionList(rows));
      return block;
    }

    function renderSources() {
      clear(ui.sources);
      (meta.sources || []).forEach(function (source) {
        const item = el("li");
        item.appendChild(sourceLink(source));
        if (source.publisher) item.appendChild(el("span", { className: "publisher" }, " — " + source.publisher));
        ui.sources.appendChild(item);
      });
    }

    // ---------------------------------------------------------------- search
    function fold(text) {
      return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().trim();
    }

    const searchIndex = nodeItems.map(function (node) {
      const info = nodeInfo[node.id] || {};
      const terms = [{ text: nodeLabel(node.id), lang: "" }];
      const names = info.names || {};
      Object.keys(names).forEach(function (lang) {
        (names[lang] || []).forEach(function (name) { terms.push({ text: String(name), lang: lang }); });
      });
      terms.forEach(function (term) { term.folded = fold(term.text); });
      return { id: node.id, label: nodeLabel(node.id), measure: typeof info.measure === "number" ? info.measure : 0, terms: terms };
    });

    function findMatches(query, limit) {
      const q = fold(query || "");
      if (!q) return [];
      const found = [];
      searchIndex.forEach(function (entry) {
        let best = null;
        entry.terms.forEach(function (term) {
          let rank = -1;
          if (term.folded === q) rank = 0;
          else if (term.folded.startsWith(q)) rank = 1;
          else if (term.folded.indexOf(" " + q) >= 0 || term.folded.indexOf("-" + q) >= 0) rank = 2;
          else if (term.folded.indexOf(q) >= 0) rank = 3;
          if (rank >= 0 && (best === null || rank < best.rank)) best = { rank: rank, term: term };
        });
        if (best) found.push({ id: entry.id, label: entry.label, measure: entry.measure, rank: best.rank, name: best.term.text, lang: best.term.lang });
      });
      found.sort(function (a, b) {
        return a.rank - b.rank || b.measure - a.measure || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
      });
      return found.slice(0, limit || 10);
    }

    let matches = [];
    let active = -1;

    function renderMatches() {
      clear(ui.results);
      matches.forEach(function (match, index) {
        const item = el("li", { role: "option", id: "search-option-" + index });
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        item.appendChild(el("span", null, match.label));
        const notes = [];
        if (match.name !== match.label) notes.push(match.name + (match.lang ? " (" + (LANGUAGE_LABELS[match.lang] || match.lang) + ")" : ""));
        if (!state.visibleNodes.has(match.id)) notes.push("hidden by the filters");
        if (notes.length) item.appendChild(el("span", { className: "match" }, notes.join(" · ")));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); pick(index); });
        ui.results.appendChild(item);
      });
      const open = matches.length > 0;
      ui.results.hidden = !open;
      ui.search.setAttribute("aria-expanded", open ? "true" : "false");
      if (active >= 0) ui.search.setAttribute("aria-activedescendant", "search-option-" + active);
      else ui.search.removeAttribute("aria-activedescendant");
    }

    function closeMatches() {
      matches = [];
      active = -1;
      renderMatches();
    }

    function pick(index) {
      const match = matches[index];
      if (!match) return;
      closeMatches();
      ui.search.value = match.label;
      ui.searchStatus.textContent = "";
      selectNode(match.id, true);
    }

    ui.search.addEventListener("input", function () {
      matches = findMatches(ui.search.value, 10);
      active = matches.length ? 0 : -1;
      ui.searchStatus.textContent = ui.search.value.trim() && !matches.length ? "No organisation has this name." : "";
      renderMatches();
    });
    ui.search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && matches.length) {
        active = (active + 1) % matches.length;
        renderMatches();
        event.preventDefault();
      } else if (event.key === "ArrowUp" && matches.length) {
        active = (active - 1 + matches.length) % matches.length;
        renderMatches();
        event.preventDefault();
      } else if (event.key === "Enter") {
        if (!matches.length) matches = findMatches(ui.search.value, 10);
        if (matches.length) pick(active >= 0 ? active : 0);
        event.preventDefault();
      } else if (event.key === "Escape") {
        closeMatches();
      }
    });
    ui.search.addEventListener("blur", function () { window.setTimeout(closeMatches, 100); });

    // ---------------------------------------------------------------- controls
    [ui.material, ui.pathway, ui.type].forEach(function (select) { select.addEventListener("change", readFilters); });
    [ui.from, ui.to].forEach(function (input) {
      input.addEventListener("input", function () { stopGrowth(); readFilters(); });
      input.addEventListener("change", function () { stopGrowth(); readFilters(); });
    });

    // ---------------------------------------------------------------- year slider
    /* Replays the landscape's growth. The slider is the "to" end of the year filter above, so one
       rule decides (alliancePasses): at a year Y the alliances of known year up to Y are shown, and
       with them the organisations they link, so an organisation appears with its first alliance.
       The last step, one past the last year, is "All years": it empties "to", and the alliances of
       unknown year come back, as the year filter documents. The slider only changes what is hidden;
       the DataSet update redraws, and the names are placed again (drawLabels watches the filters).
       Play shows the first year (or resumes after the year shown) and steps a year a second; it
       stops at the last year. */
    const GROWTH_STEP_MS = 1000;
    let growthTimer = null;

    function growthBounds() {
      const first = Number(ui.growth.min);
      return { first: first, last: Math.max(first, Number(ui.growth.max) - 1), all: Number(ui.growth.max) };
    }

    /* The slider, its label and the play button follow state.filters.to, whoever set it. */
    function syncGrowth() {
      if (!ui.growth) return;
      const b = growthBounds();
      const to = state.filters.to;
      ui.growth.value = String(to === null ? b.all : Math.min(Math.max(to, b.first), b.last));
      ui.growthLabel.textContent = to === null ? "All years" : "Up to " + to;
      ui.growth.setAttribute("aria-valuetext", to === null ? "All years, with alliances of unknown year" : "Up to " + to);
    }

    /* Show the alliances up to a year (null: all years) through the "to" field of the year filter. */
    function showUpTo(year) {
      ui.to.value = year === null ? "" : String(year);
      readFilters();
    }

    function setPlaying(playing) {
      ui.play.textContent = playing ? "Pause" : "Play";
      ui.play.dataset.playing = playing ? "true" : "false";
    }

    function stopGrowth() {
      if (growthTimer !== null) window.clearInterval(growthTimer);
      growthTimer = null;
      if (ui.play) setPlaying(false);
    }

    function stepGrowth() {
      const b = growthBounds();
      const to = state.filters.to === null ? b.last : state.filters.to;
      const next = Math.max(b.first, Math.min(to + 1, b.last));
      showUpTo(next);
      if (next >= b.last) stopGrowth();
    }

    function playGrowth() {
      const b = growthBounds();
      const to = state.filters.to;
      if (to === null || to >= b.last) {
        const from = state.filters.from;
        showUpTo(from !== null ? Math.min(Math.max(from, b.first), b.last) : b.first);
      }
      if (state.filters.to >= b.last) return; // one year only: nothing to play
      setPlaying(true);
      growthTimer = window.setInterval(stepGrowth, GROWTH_STEP_MS);
    }

    if (ui.growth) {
      ui.growth.addEventListener("input", function () {
        stopGrowth();
        const value = Number(ui.growth.value);
        showUpTo(value >= growthBounds().all ? null : value);
      });
      ui.play.addEventListener("click", function () {
        if (growthTimer !== null) stopGrowth(); else playGrowth();
      });
    }

    function resetView() {
      ui.search.value = "";
      ui.searchStatus.textContent = "";
      closeMatches();
      setFilters({ material: "", pathway: "", type: "", from: null, to: null });
      clearSelection();
      network.fit({ animation: reducedMotion ? false : { duration: 300, easingFunction: "easeInOutQuad" } });
    }
    ui.reset.addEventListener("click", resetView);
    // Printing changes the size of the drawing: fit it to the printed page and back.
    window.addEventListener("beforeprint", function () { network.redraw(); network.fit({ animation: false }); });
    window.addEventListener("afterprint", function () { network.redraw(); network.fit({ animation: false }); });

    // ---------------------------------------------------------------- SVG export
    /* The picture as SVG: title, subtitle (the filters), the drawing with its names, a legend and a
       one-line source note; with {sources: "full"}, the list of sources below the fold. The PNG is
       this SVG rendered by Chromium, so both show one drawing. Returns {svg, labels, width, height}. */
    function toImage(settings) {
      const opts = settings || {};
      const W = opts.width || 1920;
      const H = opts.height || 1080;
      const margin = 40;
      const legendWidth = Math.min(400, Math.round(W * 0.22));
      const top = 160;
      const bottom = H - 52;
      const area = { x: margin, y: top, w: W - legendWidth - margin * 2 - 20, h: bottom - top };
      const sourceList = (meta.sources || []);
      const listLine = 24;
      const full = opts.sources === "full" && sourceList.length > 0;
      const totalH = full ? H + 70 + sourceList.length * listLine + 30 : H;
      const out = [];
      out.push('<?xml version="1.0" encoding="UTF-8"?>');
      out.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + totalH + '" viewBox="0 0 ' + W + " " + totalH +
        '" font-family="' + xml(FONT_STACK) + '">');
      out.push("<title>" + xml(meta.title || "Alliance network") + "</title>");
      if (meta.subtitle) out.push("<desc>" + xml(meta.subtitle) + "</desc>");
      out.push('<rect width="' + W + '" height="' + totalH + '" fill="#ffffff"/>');

      // Title block: title, subtitle (what the filters kept), then what size and date mean
      out.push(text(margin, 60, fit(meta.title || "Alliance network", 36, W - 2 * margin, 750), { size: 36, weight: 750, fill: "#14171c" }));
      if (meta.subtitle) out.push(text(margin, 96, fit(meta.subtitle, 22, W - 2 * margin), { size: 22, fill: "#30363f" }));
      const c = visibleCounts();
      const line = [meta.measure ? "Node size: " + meta.measure : "", meta.data_date ? "Data as of " + meta.data_date : "",
        plural(c.organisations, "organisation") + ", " + plural(c.edges, "link") + " shown"].filter(Boolean).join("  ·  ");
      out.push(text(margin, 126, fit(line, 17, W - 2 * margin), { size: 17, fill: "#474f5c" }));
      out.push('<line x1="' + margin + '" y1="142" x2="' + (W - margin) + '" y2="142" stroke="#14171c" stroke-width="3"/>');

      // Drawing
      const ids = nodeItems.filter(function (n) { return !state.hiddenNodes.has(n.id); }).map(function (n) { return n.id; });
      const positions = network.getPositions(ids);
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      ids.forEach(function (id) {
        const p = positions[id];
        const r = nodeSize(id);
        minX = Math.min(minX, p.x - r); maxX = Math.max(maxX, p.x + r);
        minY = Math.min(minY, p.y - r); maxY = Math.max(maxY, p.y + r);
      });
      if (!ids.length) { minX = minY = 0; maxX = maxY = 1; }
      // Room at the sides for the names of the outermost nodes.
      const inner = { x: area.x + 60, y: area.y + 24, w: area.w - 120, h: area.h - 48 };
      const scale = Math.min(inner.w / Math.max(maxX - minX, 1), inner.h / Math.max(maxY - minY, 1), 1.6);
      const offsetX = inner.x + (inner.w - (maxX - minX) * scale) / 2 - minX * scale;
      const offsetY = inner.y + (inner.h - (maxY - minY) * scale) / 2 - minY * scale;
      const X = function (x) { return x * scale + offsetX; };
      const Y = function (y) { return y * scale + offsetY; };
      const radius = function (id) { return Math.max(2, nodeSize(id) * scale); };

      const highlight = state.highlight;
      out.push('<g id="edges" stroke-linecap="round">');
      edgeItems.forEach(function (edge) {
        if (state.hiddenEdges.has(edge.id)) return;
        const a = positions[edge.from];
        const b = positions[edge.to];
        if (!a || !b) return;
        const color = edgeColor(edge.color);
        const stroke = color.color ? safeColor(color.color, "#848484") : nodeFill(edge.from);
        const width = Math.max(0.8, (typeof edge.width === "number" ? edge.width : 1) * Math.max(scale, 0.5));
        const veiled = highlight && !highlight.edges.has(edge.id);
        const opacity = color.opacity * (veiled ? 1 - VEIL : 1);
        out.push('<line x1="' + num(X(a.x)) + '" y1="' + num(Y(a.y)) + '" x2="' + num(X(b.x)) + '" y2="' + num(Y(b.y)) +
          '" stroke="' + xml(stroke) + '" stroke-width="' + num(width) + '"' +
          (opacity < 1 ? ' stroke-opacity="' + num2(opacity) + '"' : "") + dashArray(edge.dashes, Math.max(scale, 0.5)) + "/>");
      });
      out.push("</g>");

      out.push('<g id="nodes">');
      ids.forEach(function (id) {
        const p = positions[id];
        const node = nodeById.get(id);
        const opacity = (typeof node.opacity === "number" ? node.opacity : 1) *
          (highlight && !highlight.nodes.has(id) ? 1 - VEIL : 1);
        out.push(shapeSVG(node.shape || "dot", X(p.x), Y(p.y), radius(id), nodeFill(id), nodeBorder(id), opacity));
      });
      out.push("</g>");

      const visible = new Set(ids);
      const labels = labelLayout(function (id) {
        if (!visible.has(id)) return null;
        const p = positions[id];
        return { x: X(p.x), y: Y(p.y), r: radius(id) };
      }, area, labelBase(W), highlight ? highlight.nodes : null);
      out.push('<g id="labels" font-weight="' + LABEL_WEIGHT + '">');
      labels.forEach(function (l) {
        out.push('<text x="' + num2(l.textX) + '" y="' + num2(l.baseline) + '" font-size="' + l.size + '"' +
          ' stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke" fill="' + xml(FONT_COLOR) + '"' +
          ' data-node="' + xml(l.id) + '" data-box="' + [l.x, l.y, l.w, l.h].map(num2).join(" ") + '">' + xml(l.text) + "</text>");
      });
      out.push("</g>");

      // Legend
      out.push(legendSVG(W - legendWidth - margin + 20, top, legendWidth - 20, bottom - top));

      // Sources: one line on the slide; the full list below the fold when asked for
      out.push('<line x1="' + margin + '" y1="' + (H - 44) + '" x2="' + (W - margin) + '" y2="' + (H - 44) + '" stroke="#cfd5dd" stroke-width="1"/>');
      out.push(text(margin, H - 18, fit(sourceNote(sourceList.length, full), 15, W - 2 * margin), { size: 15, fill: "#474f5c" }));
      if (full) {
        let y = H + 50;
        out.push('<g id="sources">');
        out.push(text(margin, y, "Sources", { size: 22, weight: 700, fill: "#14171c" }));
        sourceList.forEach(function (source, index) {
          y += listLine;
          const entry = (index + 1) + ". " + [source.title, source.publisher, source.url].filter(Boolean).join(" — ");
          out.push(text(margin, y, fit(entry, 15, W - 2 * margin), { size: 15, fill: "#30363f" }));
        });
        out.push("</g>");
      }
      out.push("</svg>");
      return { svg: out.join("\n") + "\n", labels: labels, width: W, height: totalH };
    }

    function toSVG(settings) { return toImage(settings).svg; }

    function sourceNote(count, full) {
      if (!count) return "Sources: none for what is shown.";
      return "Sources: " + plural(count, "public document") + "; " +
        (full ? "listed below." : "the full list is in the HTML page (alliances export html) and below the picture with --sources full.");
    }

    /* A text clipped with an ellipsis to a width in pixels, measured like the names. */
    function fit(value, size, width, weight) {
      measurer.font = (weight || 400) + " " + size + "px " + FONT_STACK;
      let chars = Array.from(String(value));
      if (measurer.measureText(chars.join("")).width <= width) return chars.join("");
      while (chars.length > 1 && measurer.measureText(chars.join("") + "…").width > width) chars = chars.slice(0, -1);
      return chars.join("") + "…";
    }

    function dashArray(dashes, scale) {
      if (!dashes) return "";
      const pattern = Array.isArray(dashes) ? dashes : [6, 5];
      return ' stroke-dasharray="' + pattern.map(function (v) { return num(Number(v) * scale); }).join(" ") + '"';
    }

    /* The legend in a box of width x height at (x, y): drawn at its natural size, and scaled down
       (not below 0.6) when a small image has no room for all of it. */
    function legendSVG(x, y, width, height) {
      const natural = legendBody(width, 1e6);
      const k = Math.max(0.6, Math.min(1, height / natural.height));
      const body = k < 1 ? legendBody(width / k, height / k) : natural;
      return '<g id="legend" transform="translate(' + num(x) + " " + num(y) + (k < 1 ? ") scale(" + num2(k) : "") + ')">' +
        body.svg + "</g>";
    }

    function legendBody(width, height) {
      const x = 0, y = 0;
      const out = ["", ""];
      let cy = y + 22;
      const maxChars = Math.floor((width - 40) / 8.2);
      const room = function (need) { return cy + need <= y + height - 8; };
      const heading = function (label) {
        if (!room(30)) return false;
        cy += 8;
        out.push(text(x, cy, label, { size: 17, weight: 700, fill: "#14171c", max: maxChars + 4 }));
        cy += 26;
        return true;
      };
      out.push(text(x, cy, "LEGEND", { size: 15, weight: 750, fill: "#474f5c", spacing: 1.2 }));
      cy += 14;
      const sectors = legend.sector || [];
      if (sectors.length && heading("Colour: sector")) {
        sectors.forEach(function (item) {
          if (!room(24)) return;
          out.push('<circle cx="' + (x + 9) + '" cy="' + (cy - 6) + '" r="8" fill="' + xml(safeColor(item.color, "#8a8f98")) + '" stroke="#00000059"/>');
          out.push(text(x + 28, cy, item.label, { size: 16, fill: "#14171c", max: maxChars }));
          cy += 24;
        });
      }
      const kinds = legend.kind || [];
      if (kinds.length && heading("Shape: kind")) {
        kinds.forEach(function (item) {
          if (!room(24)) return;
          out.push(shapeSVG(item.shape || "dot", x + 9, cy - 6, 8.5, "#4a5260", "#4a5260", 1));
          out.push(text(x + 28, cy, item.label, { size: 16, fill: "#14171c", max: maxChars }));
          cy += 24;
        });
      }
      const edgeLegend = legend.edge || {};
      const items = edgeLegend.items || [];
      if (items.length && heading(edgeLegend.by === "type" ? "Line colour: agreement type" : "Line colour: material")) {
        items.forEach(function (item) {
          if (!room(24)) return;
          out.push('<line x1="' + x + '" y1="' + (cy - 6) + '" x2="' + (x + 20) + '" y2="' + (cy - 6) + '" stroke="' + xml(safeColor(item.color, "#848484")) + '" stroke-width="5" stroke-linecap="round"/>');
          out.push(text(x + 28, cy, item.label, { size: 16, fill: "#14171c", max: maxChars }));
          cy += 24;
        });
      }
      const statuses = legend.status || [];
      if (statuses.length && heading("Line style: status")) {
        statuses.forEach(function (item) {
          if (!room(24)) return;
          const opacity = typeof item.opacity === "number" && item.opacity < 1 ? ' stroke-opacity="' + num2(item.opacity) + '"' : "";
          out.push('<line x1="' + x + '" y1="' + (cy - 6) + '" x2="' + (x + 22) + '" y2="' + (cy - 6) + '" stroke="#3d4450" stroke-width="3"' +
            opacity + dashArray(item.dashes, 0.6) + "/>");
          out.push(text(x + 30, cy, item.label, { size: 16, fill: "#14171c", max: maxChars }));
          cy += 24;
        });
      }
      if (heading("Size and width")) {
        [["Node size: ", legend.size], ["Line width: ", legend.width]].forEach(function (pair) {
          if (!pair[1]) return;
          wrap(pair[0] + pair[1], maxChars + 4).forEach(function (part) {
            if (!room(22)) return;
            out.push(text(x, cy, part, { size: 16, fill: "#14171c" }));
            cy += 22;
          });
        });
      }
      out[1] = '<rect x="' + (x - 16) + '" y="' + (y - 8) + '" width="' + num(width + 16) + '" height="' +
        num(Math.min(height, cy - y + 4)) + '" fill="#f4f6f8" rx="6"/>';
      return { svg: out.join(""), height: cy - y + 4 };
    }

    function shapeSVG(shape, cx, cy, r, fill, stroke, opacity) {
      const style = ' fill="' + xml(fill) + '" stroke="' + xml(stroke) + '" stroke-width="1.5"' +
        (opacity < 1 ? ' opacity="' + num2(opacity) + '"' : "");
      const points = function (list) {
        return '<polygon points="' + list.map(function (p) { return num(p[0]) + "," + num(p[1]); }).join(" ") + '"' + style + "/>";
      };
      const polygon = function (count, radius, start, inner) {
        const list = [];
        for (let i = 0; i < count; i++) {
          const angle = start + (i * 2 * Math.PI) / count;
          const rr = inner && i % 2 ? inner : radius;
          list.push([cx + rr * Math.cos(angle), cy + rr * Math.sin(angle)]);
        }
        return points(list);
      };
      switch (shape) {
        case "square":
        case "box":
        case "database":
          return '<rect x="' + num(cx - r) + '" y="' + num(cy - r) + '" width="' + num(2 * r) + '" height="' + num(2 * r) + '"' + style + "/>";
        case "diamond":
          return points([[cx, cy - r * 1.15], [cx + r * 1.15, cy], [cx, cy + r * 1.15], [cx - r * 1.15, cy]]);
        case "triangle":
          return points([[cx, cy - r * 1.15], [cx + r * 1.1, cy + r * 0.75], [cx - r * 1.1, cy + r * 0.75]]);
        case "triangleDown":
          return points([[cx, cy + r * 1.15], [cx + r * 1.1, cy - r * 0.75], [cx - r * 1.1, cy - r * 0.75]]);
        case "star":
          return polygon(10, r * 1.15, -Math.PI / 2, r * 0.48);
        case "hexagon":
          return polygon(6, r * 1.05, 0);
        case "text":
          return "";
        default:
          return '<circle cx="' + num(cx) + '" cy="' + num(cy) + '" r="' + num(r) + '"' + style + "/>";
      }
    }

    function text(x, y, content, o) {
      const opts = o || {};
      let value = String(content === null || content === undefined ? "" : content);
      if (opts.max) value = clip(value, opts.max);
      return '<text x="' + num(x) + '" y="' + num(y) + '" font-size="' + num(opts.size || 16) + '"' +
        (opts.weight ? ' font-weight="' + opts.weight + '"' : "") +
        (opts.anchor ? ' text-anchor="' + opts.anchor + '"' : "") +
        (opts.spacing ? ' letter-spacing="' + opts.spacing + '"' : "") +
        (opts.halo ? ' stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"' : "") +
        (opts.opacity !== undefined && opts.opacity < 1 ? ' opacity="' + num2(opts.opacity) + '"' : "") +
        ' fill="' + xml(opts.fill || "#14171c") + '">' + xml(value) + "</text>";
    }

    // ---------------------------------------------------------------- node helpers
    function nodeLabel(id) {
      const info = nodeInfo[id];
      if (info && info.label) return String(info.label);
      const node = nodeById.get(id);
      return node && node.label ? String(node.label) : String(id);
    }

    function nodeSize(id) {
      const node = nodeById.get(id);
      return node && typeof node.size === "number" ? node.size : 25;
    }

    function nodeFill(id) {
      const color = (nodeById.get(id) || {}).color;
      if (typeof color === "string") return safeColor(color, "#97c2fc");
      if (color && typeof color === "object") return safeColor(color.background, "#97c2fc");
      return "#97c2fc";
    }

    function nodeBorder(id) {
      const color = (nodeById.get(id) || {}).color;
      if (color && typeof color === "object" && color.border) return safeColor(color.border, "#1b1f24");
      return "#ffffff";
    }

    // ---------------------------------------------------------------- start
    renderSources();
    updateCount();
    window.allianceGraph = {
      network: network,
      nodes: nodes,
      edges: edges,
      data: data,
      toSVG: toSVG,
      toImage: toImage,
      labels: function () { return pageLabels.slice(); },
      findMatches: findMatches,
      select: function (id) { selectNode(id, true); },
      setFilters: setFilters,
      reset: resetView,
      visibleCounts: visibleCounts,
      dimmed: dimmed,
      state: state,
    };
  }

  // ---------------------------------------------------------------- helpers
  /* The JSON of a <script> data block; large views arrive gzip-compressed in base64. */
  function readPayload(id) {
    const element = document.getElementById(id);
    if (!element) return Promise.resolve({});
    if (element.dataset.encoding !== "gzip+base64") return Promise.resolve(JSON.parse(element.textContent));
    const binary = atob(element.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function edgeColor(color) {
    if (typeof color === "string") {
      return { color: color, highlight: color, hover: color, inherit: false, opacity: 1 };
    }
    if (color && typeof color === "object") {
      const base = color.color;
      const result = Object.assign({}, color);
      if (base) {
        if (!result.highlight) result.highlight = base;
        if (!result.hover) result.hover = base;
        result.inherit = false;
      }
      if (typeof result.opacity !== "number") result.opacity = 1;
      return result;
    }
    return { opacity: 1 };
  }

  function safeColor(value, fallback) {
    return typeof value === "string" && COLOR.test(value.trim()) ? value.trim() : fallback;
  }

  function safeHref(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url.trim());
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  function sourceLink(source) {
    const title = source.title || source.url || "untitled source";
    const href = safeHref(source.url);
    if (!href) return el("span", { className: "source-title" }, title);
    const link = el("a", { className: "source-title", href: href, target: "_blank", rel: "noopener noreferrer" }, title);
    return link;
  }

  function definitionList(rows) {
    const list = el("dl");
    rows.forEach(function (row) {
      list.appendChild(el("dt", null, row[0]));
      const dd = el("dd");
      if (row[1] instanceof Node) dd.appendChild(row[1]); else dd.textContent = String(row[1]);
      list.appendChild(dd);
    });
    return list;
  }

  /* Create an element; properties are DOM properties, text goes in as a text node only. */
  function el(tag, props, content) {
    const element = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        if (key === "role") element.setAttribute("role", props[key]);
        else element[key] = props[key];
      });
    }
    if (content !== undefined && content !== null) element.textContent = String(content);
    return element;
  }

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }

  function plural(count, word) {
    return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + " " + word + (count === 1 ? "" : "s");
  }

  function formatMeasure(value) {
    if (value === 0) return "0";
    return Math.abs(value) >= 1000 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
  }

  function xml(value) {
    return String(value)
      .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
  }

  function clip(value, max) {
    const chars = Array.from(value);
    return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : value;
  }

  function wrap(value, max) {
    const lines = [];
    let current = "";
    String(value).split(/\s+/).forEach(function (word) {
      if (current && (current + " " + word).length > max) { lines.push(current); current = word; }
      else current = current ? current + " " + word : word;
    });
    if (current) lines.push(current);
    return lines;
  }

  function num(value) {
    const rounded = Math.round(value * 10) / 10;
    return Object.is(rounded, -0) ? "0" : String(rounded);
  }

  function num2(value) {
    return String(Math.round(value * 100) / 100);
  }
})();
