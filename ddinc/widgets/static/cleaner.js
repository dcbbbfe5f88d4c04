// The Cleaner's table, facets, history, row view and toolbar. All state lives in Python: this
// file draws the synced traits and sends the analyst's clicks back as messages. Values are
// always written with textContent, never innerHTML, so nothing in the data is read as HTML.
//
// The analyst's place survives every redraw: the frame of the widget is built once, and each
// change redraws only the parts whose traits changed, keeping scroll positions, open sections
// and column widths.

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// null, "" and blanks look different from each other and from text.
function valueNode(value) {
  if (value === null || value === undefined) return h("span", { class: "dd-null" }, "null");
  if (value === "") return h("span", { class: "dd-empty" }, '""');
  if (value.trim() !== value) {
    return h("span", { class: "dd-ws", title: JSON.stringify(value) }, value.replace(/ /g, "\u2423"));
  }
  return document.createTextNode(value);
}

const FACET_LABELS = { check: "failing checks", "title words": "title words" };
const PINNED = ["title"]; // with the tick and the row key, pinned to the left

function render({ model, el }) {
  el.classList.add("dd-cleaner");
  const send = (message) => model.send(message);
  const widths = {}; // column -> px, kept across redraws
  const openFacets = {}; // facet -> open?, kept across redraws

  // --- the frame, built once ---------------------------------------------------------------
  const toolbar = h("div", { class: "dd-toolbar" });
  const searchBox = h("input", { class: "dd-search", type: "search", placeholder: "filter: text in any column" });
  const regexBox = h("input", { class: "dd-regex", type: "checkbox", title: "read the filter as a regular expression" });
  const facets = h("div", { class: "dd-facets" });
  const scroll = h("div", { class: "dd-scroll" });
  const recordBox = h("div", { class: "dd-record", hidden: true });
  const historyList = h("ol", { class: "dd-history", start: "0" });
  const historySummary = h("summary", {}, "history");
  const historyBox = h("details", { class: "dd-history-box" }, historySummary, historyList);
  el.replaceChildren(
    toolbar,
    h("div", { class: "dd-body" }, facets, h("div", { class: "dd-main" }, scroll, recordBox, historyBox)),
  );

  let searchTimer = null;
  const sendSearch = () => send({ type: "search", text: searchBox.value, regex: regexBox.checked });
  searchBox.addEventListener("keydown", (event) => {
    event.stopPropagation(); // JupyterLab would take Enter and the letters as shortcuts
    if (event.key === "Enter") { clearTimeout(searchTimer); sendSearch(); }
  });
  searchBox.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(sendSearch, 400); });
  regexBox.addEventListener("change", sendSearch);

  // --- toolbar --------------------------------------------------------------------------------
  function drawToolbar() {
    const page = model.get("page");
    const pages = model.get("pages");
    const button = (cls, label, message, disabled, title) => {
      const node = h("button", { class: cls, title: title || label, onclick: () => send(message) }, label);
      node.disabled = disabled;
      return node;
    };
    if (document.activeElement !== searchBox) searchBox.value = model.get("search");
    regexBox.checked = model.get("regex");
    const parts = [
      button("undo", "Undo", { type: "undo" }, !model.get("can_undo"), "take back the last step"),
      button("redo", "Redo", { type: "redo" }, !model.get("can_redo"), "apply the last undone step again"),
      button("first", "\u00ab", { type: "page", page: 0 }, page <= 0, "first page"),
      button("prev", "\u2039", { type: "page", page: page - 1 }, page <= 0, "previous page"),
      h("span", { class: "pageinfo" }, `page ${page + 1} of ${pages} \u00b7 ${model.get("total").toLocaleString()} of ${model.get("n_rows").toLocaleString()} rows`),
      button("next", "\u203a", { type: "page", page: page + 1 }, page >= pages - 1, "next page"),
      button("last", "\u00bb", { type: "page", page: pages - 1 }, page >= pages - 1, "last page"),
      searchBox,
      h("label", { class: "dd-regex-label", title: "regular expression" }, regexBox, ".*"),
      button("select-filtered", "Select all in view", { type: "select_filtered", on: true }, false,
        "tick every row the facets and the filter keep, for the push"),
      button("deselect-filtered", "Deselect all in view", { type: "select_filtered", on: false }, false),
      button("clear-filters", "Clear facets and filter", { type: "clear" }, false),
      h("span", { class: "n-selected" }, `${model.get("n_selected").toLocaleString()} selected`),
    ];
    const note = model.get("checks_note");
    if (note) {
      parts.push(h("span", { class: "dd-note" }, note),
        button("recheck", "Run checks", { type: "recheck" }, false, "run the checks on the current frame"));
    }
    const error = model.get("last_error");
    if (error) parts.push(h("span", { class: "dd-error", title: error }, error));
    toolbar.replaceChildren(...parts);
  }

  // --- facets ---------------------------------------------------------------------------------
  // A numeric range of a duration, in hours: [at least, below).
  function rangeNode(column) {
    const [low, high] = (model.get("ranges") || {})[column] || [null, null];
    const input = (cls, value, placeholder) => {
      const node = h("input", { class: cls, type: "number", step: "any", min: "0", placeholder, title: `${column} in hours` });
      node.value = value ?? "";
      node.addEventListener("keydown", (event) => { event.stopPropagation(); if (event.key === "Enter") apply(); });
      node.addEventListener("change", () => apply());
      return node;
    };
    const lowBox = input("dd-range-low", low, "from h");
    const highBox = input("dd-range-high", high, "below h");
    const apply = () => send({ type: "range", column, low: lowBox.value, high: highBox.value });
    return h("div", { class: "dd-range", title: `rows whose ${column} is in this range of hours` }, `${column} `, lowBox, "–", highBox);
  }

  function drawFacets() {
    const top = facets.scrollTop;
    const lists = [];
    for (const [name, values] of Object.entries(model.get("facets"))) {
      // Open when the analyst opened it, or (never touched) when it has values to show; the
      // toggle event of a section drawn open is not a click, so it is remembered as open.
      if (openFacets[name] === undefined && values.length > 0) openFacets[name] = true;
      const isOpen = openFacets[name] ?? false;
      const summary = h("summary", { class: "dd-facet-name" }, FACET_LABELS[name] || name);
      const section = h("details", { class: "dd-facet", "data-facet": name, open: isOpen }, summary);
      for (const [value, count, active, level] of values) {
        const label = value === null ? "(none)" : value;
        const attrs = {
          class: "dd-facet-value" + (active ? " active" : "") + (level ? ` ${level}` : ""),
          "data-value": value === null ? "" : value,
          title: `${label}: ${count.toLocaleString()} rows` + (active ? " (click to remove)" : ""),
          onclick: () => send({ type: "toggle", facet: name, value }),
        };
        if (value === null) attrs["data-null"] = "1";
        section.append(h("button", attrs, valueNode(value), h("span", { class: "dd-count" }, count.toLocaleString())));
      }
      if (name === "duration") section.append(rangeNode("time_to_resolve"));
      section.addEventListener("toggle", () => {
        if ((openFacets[name] ?? false) === section.open) return;
        openFacets[name] = section.open;
        send({ type: "open_facet", facet: name, open: section.open });
      });
      lists.push(section);
    }
    facets.replaceChildren(...lists);
    facets.scrollTop = top;
  }

  // --- the table ------------------------------------------------------------------------------
  function editor(td, row, column) {
    const current = row.cells[column.name];
    let input;
    if (column.choices) {
      input = h("select", { class: "dd-edit" }, h("option", { value: "" }, "(none)"));
      for (const choice of column.choices) {
        const option = h("option", { value: choice }, choice);
        if (choice === current) option.selected = true;
        input.append(option);
      }
      input.addEventListener("change", () =>
        send({ type: "edit", key: row.key, column: column.name, value: input.value || null }));
      input.addEventListener("keydown", (event) => event.stopPropagation());
    } else {
      input = h("input", { class: "dd-edit", type: "text" });
      input.value = current ?? "";
      let done = false;
      const commit = () => {
        if (done) return;
        done = true;
        if (input.value !== (current ?? "")) {
          send({ type: "edit", key: row.key, column: column.name, value: input.value });
        } else drawTable();
      };
      // JupyterLab swallows Enter inside widget output unless the event stops here.
      input.addEventListener("keydown", (event) => {
        event.stopPropagation();
        if (event.key === "Enter") commit();
        if (event.key === "Escape") { done = true; drawTable(); }
      });
      input.addEventListener("blur", commit);
    }
    td.replaceChildren(input);
    input.focus();
  }

  function headerCell(column, sortColumn, descending) {
    const arrow = column.name === sortColumn ? (descending ? " \u25bc" : " \u25b2") : "";
    const th = h("th", {
      "data-col": column.name,
      class: PINNED.includes(column.name) ? "pinned pin-title" : "",
      title: `sort by ${column.name}` + (column.editable ? " (click a cell to edit)" : ""),
      onclick: (event) => {
        if (event.offsetX > th.clientWidth - 8) return; // the resize grip, not a sort
        send({ type: "sort", column: column.name, descending: column.name === sortColumn ? !descending : false });
      },
    }, column.name + arrow);
    if (widths[column.name]) th.style.width = th.style.minWidth = `${widths[column.name]}px`;
    // A width dragged with the header's grip is kept for every later redraw.
    let before = 0;
    th.addEventListener("mousedown", () => { before = th.getBoundingClientRect().width; });
    th.addEventListener("mouseup", () => {
      const width = th.getBoundingClientRect().width;
      if (before && Math.abs(width - before) > 2) widths[column.name] = width;
    });
    return th;
  }

  function drawTable() {
    const left = scroll.scrollLeft;
    const top = scroll.scrollTop;
    const columns = model.get("columns");
    const [sortColumn, descending] = model.get("sort");
    const head = h("tr", {},
      h("th", { class: "pinned pin-tick", title: "tick rows for the push" }, ""),
      h("th", { class: "pinned pin-key", title: "row key: click one to see the whole record" }, "row key"),
      h("th", { title: "failing checks" }, "checks"));
    const ordered = [...columns.filter((c) => PINNED.includes(c.name)), ...columns.filter((c) => !PINNED.includes(c.name))];
    for (const column of ordered) head.append(headerCell(column, sortColumn, descending));
    const body = h("tbody");
    for (const row of model.get("rows")) {
      const tick = h("input", { type: "checkbox", class: "sel", title: "select for the push" });
      tick.checked = row.selected;
      tick.disabled = row.excluded;
      tick.addEventListener("change", () => send({ type: "select", key: row.key, on: tick.checked }));
      const badges = h("td", { class: "dd-badges" });
      for (const [name, level] of row.badges) badges.append(h("span", { class: `dd-badge ${level}`, title: `${level}: ${name}` }, name));
      const key = h("td", { class: "dd-key pinned pin-key", title: "show the whole record" },
        h("a", { href: "#", onclick: (event) => { event.preventDefault(); send({ type: "record", key: row.key }); } }, row.key));
      const tr = h("tr", { "data-rid": row.key, class: row.excluded ? "excluded" : "" },
        h("td", { class: "pinned pin-tick" }, tick), key, badges);
      for (const column of ordered) {
        const value = row.cells[column.name];
        const td = h("td", {
          "data-col": column.name,
          class: PINNED.includes(column.name) ? "pinned pin-title" : "",
          title: value ?? "null",
        }, valueNode(value));
        if (column.editable) {
          td.classList.add("editable");
          td.addEventListener("click", () => { if (!td.querySelector(".dd-edit")) editor(td, row, column); });
        }
        tr.append(td);
      }
      body.append(tr);
    }
    scroll.replaceChildren(h("table", { class: "dd-table" }, h("thead", {}, head), body));
    scroll.scrollLeft = left;
    scroll.scrollTop = top;
  }

  // --- the row view ---------------------------------------------------------------------------
  function drawRecord() {
    const record = model.get("record");
    if (!record || !record.key) { recordBox.hidden = true; recordBox.replaceChildren(); return; }
    const close = h("button", { class: "dd-record-close", title: "close the record", onclick: () => send({ type: "record", key: null }) }, "\u00d7");
    const cells = h("table", { class: "dd-record-cells" });
    for (const [name, value] of record.cells) cells.append(h("tr", {}, h("th", {}, name), h("td", {}, valueNode(value))));
    const checks = h("ul", { class: "dd-record-checks" });
    for (const [name, level, message] of record.checks) {
      checks.append(h("li", { class: level }, h("b", {}, `${name} (${level})`), `: ${message}`));
    }
    if (!record.checks.length) checks.append(h("li", {}, "fails no check"));
    const stale = record.checks_stale ? h("p", { class: "dd-note" }, (record.checks_note || "checks are from before the last edits") + " (Run checks)") : null;
    recordBox.hidden = false;
    recordBox.replaceChildren(h("div", { class: "dd-record-head" }, h("b", {}, record.key), close), stale, checks, cells);
  }

  // --- the history ----------------------------------------------------------------------------
  function drawHistory() {
    const items = model.get("history");
    const done = items.filter((item) => item.done).length;
    historySummary.textContent = `history: ${done} step(s) done` + (items.length > done ? `, ${items.length - done} undone` : "");
    const start = h("li", { class: "dd-step done" + (done === 0 ? " current" : ""), value: "0", title: "go back to the loaded frame", onclick: () => send({ type: "goto", count: 0 }) }, "the loaded frame");
    const lines = [start];
    for (const item of items) {
      const text = item.done ? `${item.text} (${item.status}, ${item.changed} changed)` : `${item.text} (undone)`;
      lines.push(h("li", {
        class: "dd-step" + (item.done ? " done" : " undone") + (item.n === done ? " current" : ""),
        value: String(item.n),
        title: item.done ? "go back to just after this step" : "redo up to this step",
        onclick: () => send({ type: "goto", count: item.n }),
      }, text));
    }
    historyList.replaceChildren(...lines);
  }

  drawToolbar(); drawFacets(); drawTable(); drawRecord(); drawHistory();
  model.on("change:facets", drawFacets);
  model.on("change:history", drawHistory);
  model.on("change:record", drawRecord);
  model.on("change:version", () => {
    drawToolbar();
    drawTable();
    el.setAttribute("data-version", String(model.get("version")));
  });
  el.setAttribute("data-version", String(model.get("version")));
}

export default { render };
