/* Result views of the query page, chosen by a comment in the query as the Wikidata query service
   does ("#defaultView:Table|Graph|Timeline|BarChart"); each view that fits a result is offered.

   The bar chart and the timeline are drawn here as plain SVG, by hand: the page must open with no
   network and a strict Content-Security-Policy (no inline style, no eval), and a chart library
   (Vega, Chart.js) would add hundreds of kilobytes for two simple pictures. Text is set with
   textContent only, never as markup. */
(function () {
  "use strict";

  const VIEWS = ["Table", "Graph", "Timeline", "BarChart"];
  const LABELS = { Table: "Table", Graph: "Graph", Timeline: "Timeline", BarChart: "Bar chart" };
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = ["integer", "decimal", "double", "float", "long", "int", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"].map(function (t) { return XSD + t; });
  const DATES = ["date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp"].map(function (t) { return XSD + t; });
  const SVG = "http://www.w3.org/2000/svg";
  const MAX_ITEMS = 200; // bars or events drawn; the table holds the rest

  /* The view a query asks for: the first "#defaultView:NAME" comment, or null. */
  function requested(text) {
    const match = /(^|\n)[ \t]*#[ \t]*defaultView[ \t]*:[ \t]*([A-Za-z]+)/.exec(text || "");
    return match ? match[2] : null;
  }

  function isNumber(term) {
    return !!term && term.type !== "uri" && term.type !== "bnode" && NUMERIC.indexOf(term.datatype) >= 0
      && isFinite(Number(term.value));
  }

  function isDate(term) {
    return !!term && term.type !== "uri" && term.type !== "bnode" && DATES.indexOf(term.datatype) >= 0
      && /^-?\d{4}/.test(term.value);
  }

  /* The first variable whose every bound value passes the test (and that is bound at least once). */
  function column(vars, rows, test, except) {
    return vars.find(function (name) {
      if (except && except.indexOf(name) >= 0) return false;
      let bound = 0;
      const ok = rows.every(function (row) {
        if (!row[name]) return true;
        bound += 1;
        return test(row[name]);
      });
      return ok && bound > 0;
    }) || null;
  }

  /* The measured variable: the last numeric one ("?year ?count": the count, named by the year). */
  function measure(vars, rows) {
    return column(vars.slice().reverse(), rows, isNumber);
  }

  /* The variable that names each row: the first one that is neither the measured nor the dated one. */
  function labelColumn(vars, rows, except) {
    return column(vars, rows, function () { return true; }, except);
  }

  function fits(vars, rows, hasOrganisations) {
    const views = ["Table"];
    if (hasOrganisations) views.push("Graph");
    if (rows.length && column(vars, rows, isDate)) views.push("Timeline");
    const measured = rows.length ? measure(vars, rows) : null;
    if (measured && labelColumn(vars, rows, [measured])) views.push("BarChart");
    return views;
  }

  /* Which views fit, which one to show, and a note when the query asked for one that cannot be shown. */
  function choose(text, vars, rows, hasOrganisations) {
    const fitting = fits(vars, rows, hasOrganisations);
    const asked = requested(text);
    if (!asked) return { fits: fitting, view: "Table", note: null };
    const name = VIEWS.find(function (v) { return v.toLowerCase() === asked.toLowerCase(); });
    if (!name) {
      return { fits: fitting, view: "Table", note: "#defaultView:" + asked + " is not a view here; the views are " + VIEWS.join(", ") };
    }
    if (fitting.indexOf(name) < 0) {
      const needs = { Graph: "organisations in the results", Timeline: "a column of dates",
        BarChart: "a column of numbers and a column that names each row" }[name];
      return { fits: fitting, view: "Table", note: "the " + LABELS[name] + " view needs " + needs + "; shown as a table" };
    }
    return { fits: fitting, view: name, note: null };
  }

  function text(term) {
    if (!term) return "";
    if (term.type === "uri") {
      const cut = Math.max(term.value.lastIndexOf("/"), term.value.lastIndexOf("#"));
      return cut >= 0 && cut < term.value.length - 1 ? term.value.slice(cut + 1) : term.value;
    }
    return term.value;
  }

  function node(tag, attributes, content) {
    const element = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (key) { element.setAttribute(key, String(attributes[key])); });
    if (content !== undefined) element.textContent = content;
    return element;
  }

  /* The width of a label as the chart draws it (14px, the page's font), measured on a canvas:
     the chart is laid out before it is in the page, where getBBox could measure it. */
  let ruler = null;
  function textWidth(value) {
    if (!ruler) {
      ruler = document.createElement("canvas").getContext("2d");
      ruler.font = "14px " + window.getComputedStyle(document.body).fontFamily;
    }
    return ruler.measureText(value).width;
  }

  function shorten(value, length) {
    return value.length > length ? value.slice(0, length - 1) + "…" : value;
  }

  function figure(svg, caption) {
    const wrap = document.createElement("figure");
    wrap.className = "result-chart";
    const note = document.createElement("figcaption");
    note.className = "note";
    note.textContent = caption;
    wrap.append(svg, note);
    return wrap;
  }

  /* The columns that name a bar: every column before the measured one ("?year ?basis ?count":
     "2021, signing date"), or the first one after it when it comes first. */
  function namingColumns(vars, measured) {
    const before = vars.slice(0, vars.indexOf(measured));
    return before.length ? before : vars.filter(function (name) { return name !== measured; }).slice(0, 1);
  }

  function barName(row, naming) {
    return naming.map(function (name) { return row[name] ? text(row[name]) : "none"; }).join(", ");
  }

  function barChart(vars, rows) {
    const measured = measure(vars, rows);
    const naming = namingColumns(vars, measured);
    const label = naming.join(", ");
    const items = rows.filter(function (row) { return row[measured]; }).slice(0, MAX_ITEMS);
    const values = items.map(function (row) { return Number(row[measured].value); });
    const top = Math.max(0, Math.max.apply(null, values));
    const bottom = Math.min(0, Math.min.apply(null, values));
    const span = top - bottom || 1;
    const width = 900, labelWidth = 260, valueWidth = 90, bar = 22, gap = 6;
    const plot = width - labelWidth - valueWidth;
    const height = items.length * (bar + gap) + gap;
    const svg = node("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height,
      role: "img", "aria-label": "Bar chart of " + measured + " by " + label, class: "bar-chart" });
    const zero = labelWidth + plot * (-bottom / span);
    items.forEach(function (row, index) {
      const value = values[index];
      const y = gap + index * (bar + gap);
      const x = value >= 0 ? zero : zero - plot * (-value / span);
      const name = barName(row, naming);
      const group = node("g", { class: "bar", "data-label": name, "data-value": row[measured].value });
      group.append(node("title", {}, name + ": " + row[measured].value));
      group.append(node("text", { x: labelWidth - 8, y: y + bar * 0.7, "text-anchor": "end", class: "bar-label" },
        shorten(name, 34)));
      group.append(node("rect", { x: x, y: y, width: Math.max(1, plot * Math.abs(value) / span), height: bar, class: "bar-rect" }));
      group.append(node("text", { x: width - valueWidth + 6, y: y + bar * 0.7, class: "bar-value" }, row[measured].value));
      svg.append(group);
    });
    const more = rows.length > items.length ? "; the first " + items.length + " rows are drawn" : "";
    return figure(svg, measured + " by " + label + more);
  }

  /* A date literal as a fractional year: 2021-07-01 -> 2021.5 (a year alone sits at its start). */
  function yearOf(value) {
    const match = /^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
    const year = Number(match[1]);
    const month = match[2] ? Number(match[2]) - 1 : 0;
    const day = match[3] ? Number(match[3]) - 1 : 0;
    return year + (month + day / 31) / 12;
  }

  function timeline(vars, rows) {
    const dated = column(vars, rows, isDate);
    const label = labelColumn(vars, rows, [dated]);
    const items = rows.filter(function (row) { return row[dated]; })
      .map(function (row) { return { at: yearOf(row[dated].value), date: row[dated].value, name: label ? text(row[label]) : row[dated].value }; })
      .sort(function (a, b) { return a.at - b.at; })
      .slice(0, MAX_ITEMS);
    const first = Math.floor(items[0].at), last = Math.floor(items[items.length - 1].at) + 1;
    const width = 900, left = 20, right = 40, axis = 30, lane = 22;
    const scale = function (at) { return left + (width - left - right) * (at - first) / (last - first); };
    // Each event's label starts at its date (or ends there, near the right edge); it takes the
    // first lane where it overlaps no other label.
    const lanes = [];
    const placed = items.map(function (item) {
      const x = scale(item.at);
      const caption = shorten(item.name, 40);
      const size = 8 + textWidth(caption);
      const before = x + size > width - 4;
      const from = before ? x - size - 6 : x - 6, to = before ? x + 6 : x + size + 6;
      let laneIndex = lanes.findIndex(function (taken) {
        return taken.every(function (span) { return span[1] <= from || to <= span[0]; });
      });
      if (laneIndex < 0) { laneIndex = lanes.length; lanes.push([]); }
      lanes[laneIndex].push([from, to]);
      return { item: item, x: x, caption: caption, lane: laneIndex, before: before };
    });
    const height = axis + lanes.length * lane + 10;
    const svg = node("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height,
      role: "img", "aria-label": "Timeline of " + (label || dated) + " by " + dated, class: "timeline-chart" });
    svg.append(node("line", { x1: left, x2: width - right, y1: axis - 10, y2: axis - 10, class: "axis" }));
    const step = Math.max(1, Math.ceil((last - first) / 12));
    for (let year = first; year <= last; year += step) {
      svg.append(node("line", { x1: scale(year), x2: scale(year), y1: axis - 14, y2: height, class: "tick" }));
      svg.append(node("text", { x: scale(year), y: axis - 16, "text-anchor": "middle", class: "tick-label" }, String(year)));
    }
    placed.forEach(function (p) {
      const y = axis + p.lane * lane + 10;
      const group = node("g", { class: "event", "data-date": p.item.date, "data-label": p.item.name });
      group.append(node("title", {}, p.item.date + ": " + p.item.name));
      group.append(node("circle", { cx: p.x, cy: y, r: 4, class: "event-dot" }));
      group.append(node("text", { x: p.before ? p.x - 8 : p.x + 8, y: y + 4, "text-anchor": p.before ? "end" : "start",
        class: "event-label" }, p.caption));
      svg.append(group);
    });
    const more = rows.length > items.length ? "; the first " + items.length + " are drawn" : "";
    return figure(svg, (label || dated) + " by " + dated + more);
  }

  function draw(name, vars, rows) {
    if (name === "BarChart") return barChart(vars, rows);
    if (name === "Timeline") return timeline(vars, rows);
    throw new Error("no drawing for the view " + name);
  }

  window.allianceViews = { VIEWS: VIEWS, LABELS: LABELS, requested: requested, fits: fits, choose: choose, draw: draw };
})();
