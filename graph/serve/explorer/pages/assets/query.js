/* The query page: send the editor's SPARQL to /sparql (same origin), show the answer, download it
   in any format, and draw the organisations it names. Every text from a result is inserted with
   textContent, never as HTML; a link from a result is only ever an http(s) address. */
(function () {
  "use strict";

  const $ = function (id) { return document.getElementById(id); };
  const config = JSON.parse($("explorer-config").textContent);
  const MAX_ROWS_SHOWN = 2000;
  const RESULTS_JSON = "application/sparql-results+json";
  const TURTLE = "text/turtle";
  const PREFIXES = config.prefixes; // graph.rdf.namespaces.PREFIXES: the names the command line predeclares

  const ui = {
    form: $("query-form"),
    editor: $("editor"),
    run: $("run"),
    status: $("status"),
    error: $("error"),
    results: $("results"),
    showNetwork: $("show-network"),
    networkPanel: $("network-panel"),
    networkFrame: $("network-frame"),
    networkLink: $("network-link"),
    downloadsResults: $("downloads-results"),
    downloadsGraph: $("downloads-graph"),
    exampleInfo: $("example-info"),
    exampleName: $("example-name"),
    exampleQuestion: $("example-question"),
    exampleParams: $("example-params"),
    exampleCommand: $("example-command"),
  };
  const examples = new Map(config.examples.map(function (e) { return [e.name, e]; }));
  let organisations = [];
  let running = null;
  let finished = 0;

  // ------------------------------------------------------------ the query's form
  /* SELECT, ASK, CONSTRUCT or DESCRIBE, read past comments, PREFIX and BASE; null if unclear. */
  function queryForm(text) {
    const code = text.split("\n").map(function (line) {
      return line.replace(/(^|\s)#.*$/, "$1");
    }).join("\n");
    const match = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(code);
    return match ? match[1].toUpperCase() : null;
  }

  function isGraphForm(form) { return form === "CONSTRUCT" || form === "DESCRIBE"; }

  function acceptFor(form) {
    if (isGraphForm(form)) return TURTLE;
    if (form) return RESULTS_JSON;
    return RESULTS_JSON + ", " + TURTLE + ";q=0.9";
  }

  function updateDownloads() {
    const graph = isGraphForm(queryForm(ui.editor.value));
    ui.downloadsResults.hidden = graph;
    ui.downloadsGraph.hidden = !graph;
  }

  // ------------------------------------------------------------ talking to /sparql
  function post(text, accept, signal) {
    return fetch(config.sparql, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": accept },
      body: new URLSearchParams({ query: text }),
      credentials: "same-origin",
      signal: signal,
    });
  }

  function failure(response) {
    return response.text().then(function (body) {
      const reason = body.trim() || response.statusText;
      throw new Error("The endpoint answered " + response.status + ": " + reason.slice(0, 4000));
    });
  }

  function run() {
    const text = ui.editor.value;
    if (!text.trim()) {
      showError("Write a query first.");
      return;
    }
    if (running) running.abort();
    const controller = new AbortController();
    running = controller;
    const started = performance.now();
    setBusy(true);
    clearResults();
    setStatus("Running…");
    post(text, acceptFor(queryForm(text)), controller.signal)
      .then(function (response) {
        if (!response.ok) return failure(response);
        const type = (response.headers.get("Content-Type") || "").toLowerCase();
        if (type.indexOf("json") >= 0 && type.indexOf("ld+json") < 0) {
          return response.json().then(function (data) { showResults(data, started); });
        }
        return response.text().then(function (body) { showGraph(body, type, started); });
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        setStatus("");
        showError(error.message || String(error));
      })
      .finally(function () {
        if (running === controller) {
          running = null;
          setBusy(false);
        }
        finished += 1;
        document.body.dataset.runs = String(finished);
      });
  }

  function setBusy(busy) {
    ui.run.disabled = busy;
    ui.run.textContent = busy ? "Running…" : "Run query";
    document.body.dataset.busy = busy ? "true" : "false";
  }

  function setStatus(text) { ui.status.textContent = text; }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  function clearResults() {
    ui.error.hidden = true;
    ui.error.textContent = "";
    ui.results.replaceChildren();
    ui.networkPanel.hidden = true;
    delete document.body.dataset.view;
    organisations = [];
    ui.showNetwork.disabled = true;
    delete document.body.dataset.results;
  }

  function elapsed(started) {
    const ms = performance.now() - started;
    return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
  }

  // ------------------------------------------------------------ showing answers
  function showResults(data, started) {
    if (typeof data.boolean === "boolean") {
      const answer = el("p", "boolean " + (data.boolean ? "yes" : "no"), data.boolean ? "true" : "false");
      answer.id = "boolean-result";
      ui.results.append(answer);
      setStatus("ASK answered in " + elapsed(started));
      document.body.dataset.results = "boolean";
      return;
    }
    const vars = (data.head && data.head.vars) || [];
    const rows = (data.results && data.results.bindings) || [];
    const found = new Set();
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (name) {
        const term = row[name];
        if (term && term.type === "uri" && term.value.indexOf(config.organisationPrefix) === 0) {
          const id = term.value.slice(config.organisationPrefix.length);
          if (id && id.indexOf("/") < 0) found.add(id);
        }
      });
    });
    organisations = Array.from(found).sort();
    let status = rows.length + (rows.length === 1 ? " row" : " rows") + " in " + elapsed(started);
    if (rows.length > MAX_ROWS_SHOWN) status += "; the first " + MAX_ROWS_SHOWN + " are shown, download for all";
    const choice = window.allianceViews.choose(ui.editor.value, vars, rows, organisations.length > 0);
    if (choice.note) status += ". " + choice.note;
    setStatus(status);
    ui.showNetwork.disabled = organisations.length === 0;
    ui.showNetwork.title = organisations.length === 1
      ? "Draw the organisation in the results and its partners"
      : organisations.length
        ? "Draw the " + organisations.length + " organisations in the results and the alliances they share"
        : "The results name no organisation";
    document.body.dataset.results = "table";
    showViews(choice, vars, rows);
  }

  /* The view bar (each view that fits the result) and the chosen view; the table is always there. */
  function showViews(choice, vars, rows) {
    const bar = el("div", "view-bar");
    bar.id = "view-bar";
    bar.setAttribute("role", "tablist");
    bar.setAttribute("aria-label", "Result views");
    const panels = {};
    choice.fits.forEach(function (name) {
      const button = el("button", "chip-button view-button", window.allianceViews.LABELS[name]);
      button.type = "button";
      button.dataset.view = name;
      button.setAttribute("role", "tab");
      button.addEventListener("click", function () { selectView(name); });
      bar.append(button);
    });
    if (choice.fits.length > 1) ui.results.append(bar);
    choice.fits.forEach(function (name) {
      const panel = el("div", "view-panel view-" + name.toLowerCase());
      panel.id = "view-" + name.toLowerCase();
      panel.setAttribute("role", "tabpanel");
      panel.hidden = true;
      panels[name] = panel;
      ui.results.append(panel);
    });
    const drawn = { Table: true };
    panels.Table.append(table(vars, rows));  // always: downloads and the network read the answer, not the view
    function selectView(name) {
      if (!drawn[name]) {
        drawn[name] = true;
        if (name === "Graph") panels[name].append(el("p", "note", "The organisations in the results are drawn below."));
        else panels[name].append(window.allianceViews.draw(name, vars, rows));
      }
      if (name === "Graph") showNetwork();
      Object.keys(panels).forEach(function (key) { panels[key].hidden = key !== name; });
      if (name !== "Graph") ui.networkPanel.hidden = true;
      bar.querySelectorAll("button").forEach(function (button) {
        button.setAttribute("aria-selected", button.dataset.view === name ? "true" : "false");
      });
      document.body.dataset.view = name;
    }
    selectView(choice.view);
  }

  function table(vars, rows) {
    const table = el("table", "table results-table");
    table.id = "results-table";
    const head = el("thead");
    const headRow = el("tr");
    headRow.append(el("th", "row-number", "#"));
    vars.forEach(function (name) {
      const th = el("th", null, name);
      th.scope = "col";
      headRow.append(th);
    });
    head.append(headRow);
    const body = el("tbody");
    rows.slice(0, MAX_ROWS_SHOWN).forEach(function (row, index) {
      const tr = el("tr");
      tr.append(el("td", "row-number", String(index + 1)));
      vars.forEach(function (name) { tr.append(cell(row[name])); });
      body.append(tr);
    });
    table.append(head, body);
    const wrap = el("div", "table-wrap");
    wrap.append(table);
    return wrap;
  }

  function showGraph(body, type, started) {
    const pre = el("pre", "graph-text", body);
    pre.id = "graph-result";
    ui.results.append(pre);
    const name = type.indexOf("turtle") >= 0 ? "Turtle" : (type.split(";")[0] || "text");
    setStatus(name + ", " + body.length + " characters, in " + elapsed(started));
    document.body.dataset.results = "graph";
  }

  function cell(term) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      const local = localPage(term.value);
      const text = compact(term.value);
      const node = el(local ? "a" : "span", local ? null : "iri", text);
      if (local) node.href = local;
      node.title = term.value;
      td.append(node);
    } else if (term.type === "bnode") {
      td.append(el("span", "bnode", "_:" + term.value));
    } else {
      const url = webAddress(term.value);
      if (url) {
        const a = el("a", null, term.value);
        a.href = url;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        td.append(a);
      } else {
        const span = el("span", "literal", term.value);
        if (term["xml:lang"]) span.lang = term["xml:lang"];
        td.append(span);
      }
      if (term["xml:lang"]) td.append(el("span", "lang", term["xml:lang"]));
      else if (term.datatype && term.datatype.indexOf(PREFIXES.xsd + "string") !== 0) {
        td.title = compact(term.datatype);
      }
    }
    return td;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /* The explorer's page of an IRI of this graph, or null. */
  function localPage(iri) {
    if (iri.indexOf(config.taxonomy) === 0) return config.root + "/taxonomy/" + iri.slice(config.taxonomy.length);
    if (iri.indexOf(config.base) === 0) return config.root + "/id/" + iri.slice(config.base.length);
    return null;
  }

  function webAddress(text) {
    return /^https?:\/\/[^\s"'<>\\]+$/i.test(text) ? text : null;
  }

  function compact(iri) {
    if (iri.indexOf(config.base) === 0) return iri.slice(config.base.length);
    for (const prefix in PREFIXES) {
      const ns = PREFIXES[prefix];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
    }
    return iri;
  }

  // ------------------------------------------------------------ downloads
  function download(button) {
    const text = ui.editor.value;
    const media = button.dataset.media;
    const extension = button.dataset.extension;
    if (!text.trim()) {
      showError("Write a query first.");
      return;
    }
    button.disabled = true;
    post(text, media)
      .then(function (response) {
        if (!response.ok) return failure(response);
        return response.blob();
      })
      .then(function (blob) {
        if (!blob) return;
        const address = URL.createObjectURL(blob);
        const a = document.createElement("a");
        a.href = address;
        a.download = "results." + extension;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(address); }, 10000);
      })
      .catch(function (error) { showError(error.message || String(error)); })
      .finally(function () { button.disabled = false; });
  }

  // ------------------------------------------------------------ network
  /* One organisation: its partners at one step; several: them and the alliances they share. */
  function showNetwork() {
    if (!organisations.length) return;
    const address = organisations.length === 1
      ? config.network + "?focus=" + encodeURIComponent(organisations[0]) + "&depth=1"
      : config.network + "?orgs=" + encodeURIComponent(organisations.join(","));
    ui.networkFrame.src = address + "#export";
    ui.networkLink.href = address;
    ui.networkPanel.hidden = false;
    ui.networkPanel.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // ------------------------------------------------------------ examples
  function chooseExample(name, replaceHistory) {
    const example = examples.get(name);
    if (!example) return;
    ui.editor.value = example.text;
    document.querySelectorAll("button.example").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.example === name ? "true" : "false");
    });
    ui.exampleName.textContent = example.name;
    ui.exampleQuestion.textContent = example.question;
    ui.exampleCommand.textContent = example.command;
    const notes = example.bindings.map(function (b) {
      return b.name + " = " + b.given + (b.label && b.label !== b.given ? " (" + b.label + ")" : "");
    });
    let params = notes.length ? "Bound with VALUES: " + notes.join("; ") + ". Change the VALUES line to ask about another." : "";
    if (example.problem) params = example.problem;
    ui.exampleParams.textContent = params;
    ui.exampleInfo.hidden = false;
    if (replaceHistory) {
      const url = new URL(window.location.href);
      url.searchParams.delete("query");
      url.searchParams.set("example", name);
      window.history.replaceState(null, "", url.toString());
    }
    clearResults();
    setStatus("");
    updateDownloads();
  }

  // ------------------------------------------------------------ editor keys
  ui.editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    } else if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      const start = ui.editor.selectionStart;
      const end = ui.editor.selectionEnd;
      ui.editor.setRangeText("  ", start, end, "end");
    }
  });
  ui.editor.addEventListener("input", updateDownloads);
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  ui.showNetwork.addEventListener("click", showNetwork);
  document.querySelectorAll(".downloads button").forEach(function (button) {
    button.addEventListener("click", function () { download(button); });
  });
  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      chooseExample(button.dataset.example, true);
      ui.editor.focus();
    });
  });

  // ------------------------------------------------------------ start
  if (config.initial.example) {
    chooseExample(config.initial.example, false);
  } else {
    ui.editor.value = config.initial.query || "";
    updateDownloads();
  }
  document.body.dataset.ready = "true";
  window.allianceQuery = { run: run, queryForm: queryForm, organisations: function () { return organisations.slice(); } };
})();
