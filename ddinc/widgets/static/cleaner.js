// The Cleaner's table, facets and toolbar. All state lives in Python: this file draws the
// synced traits and sends the analyst's clicks back as messages. Values are always written
// with textContent, never innerHTML, so nothing in the data is ever read as HTML.

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
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

function render({ model, el }) {
  el.classList.add("dd-cleaner");
  const send = (message) => model.send(message);

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
    } else {
      input = h("input", { class: "dd-edit", type: "text" });
      input.value = current ?? "";
      let done = false;
      const commit = () => {
        if (done) return;
        done = true;
        if (input.value !== (current ?? "")) {
          send({ type: "edit", key: row.key, column: column.name, value: input.value });
        } else draw();
      };
      // JupyterLab swallows Enter inside widget output unless the event stops here.
      input.addEventListener("keydown", (event) => {
        event.stopPropagation();
        if (event.key === "Enter") commit();
        if (event.key === "Escape") { done = true; draw(); }
      });
      input.addEventListener("blur", commit);
    }
    td.replaceChildren(input);
    input.focus();
  }

  function facetsNode() {
    const facets = model.get("facets");
    const box = h("div", { class: "dd-facets" });
    for (const [name, values] of Object.entries(facets)) {
      const list = h("div", { class: "dd-facet", "data-facet": name }, h("div", { class: "dd-facet-name" }, name));
      for (const item of values) {
        const [value, count, active, level] = item;
        const attrs = {
          class: "dd-facet-value" + (active ? " active" : "") + (level ? ` ${level}` : ""),
          "data-value": value === null ? "" : value,
          onclick: () => send({ type: "toggle", facet: name, value }),
        };
        if (value === null) attrs["data-null"] = "1";
        list.append(h("button", attrs, valueNode(value), ` ${count}`));
      }
      box.append(list);
    }
    return box;
  }

  function toolbarNode() {
    const page = model.get("page");
    const pages = model.get("pages");
    const bar = h(
      "div",
      { class: "dd-toolbar" },
      h("button", { class: "undo", onclick: () => send({ type: "undo" }) }, "Undo"),
      h("button", { class: "redo", onclick: () => send({ type: "redo" }) }, "Redo"),
      h("button", { class: "prev", onclick: () => send({ type: "page", page: page - 1 }) }, "\u2039"),
      h("span", { class: "pageinfo" }, `page ${page + 1} of ${pages} \u00b7 ${model.get("total")} of ${model.get("n_rows")} rows`),
      h("button", { class: "next", onclick: () => send({ type: "page", page: page + 1 }) }, "\u203a"),
      h("button", { class: "select-filtered", onclick: () => send({ type: "select_filtered", on: true }) }, "Select all in view"),
      h("button", { class: "clear-filters", onclick: () => send({ type: "clear" }) }, "Clear facets"),
      h("span", { class: "n-selected" }, `${model.get("n_selected")} selected`),
    );
    bar.querySelector(".undo").disabled = !model.get("can_undo");
    bar.querySelector(".redo").disabled = !model.get("can_redo");
    const note = model.get("checks_note");
    if (note) {
      bar.append(h("span", { class: "dd-note" }, note),
        h("button", { class: "recheck", onclick: () => send({ type: "recheck" }) }, "Re-run checks"));
    }
    const error = model.get("last_error");
    if (error) bar.append(h("span", { class: "dd-error" }, error));
    return bar;
  }

  function tableNode() {
    const columns = model.get("columns");
    const [sortColumn, descending] = model.get("sort");
    const head = h("tr", {}, h("th", {}, ""), h("th", {}, "row key"), h("th", {}, "checks"));
    for (const column of columns) {
      const arrow = column.name === sortColumn ? (descending ? " \u25bc" : " \u25b2") : "";
      head.append(h("th", {
        "data-col": column.name,
        onclick: () => send({ type: "sort", column: column.name, descending: column.name === sortColumn ? !descending : false }),
      }, column.name + arrow));
    }
    const body = h("tbody");
    for (const row of model.get("rows")) {
      const tick = h("input", { type: "checkbox", class: "sel" });
      tick.checked = row.selected;
      tick.addEventListener("change", () => send({ type: "select", key: row.key, on: tick.checked }));
      const badges = h("td", { class: "dd-badges" });
      for (const [name, level] of row.badges) badges.append(h("span", { class: `dd-badge ${level}`, title: name }, name));
      const tr = h("tr", { "data-rid": row.key, class: row.excluded ? "excluded" : "" },
        h("td", {}, tick), h("td", { class: "dd-key" }, row.key), badges);
      for (const column of columns) {
        const td = h("td", { "data-col": column.name }, valueNode(row.cells[column.name]));
        if (column.editable) {
          td.classList.add("editable");
          td.addEventListener("click", () => { if (!td.querySelector(".dd-edit")) editor(td, row, column); });
        }
        tr.append(td);
      }
      body.append(tr);
    }
    return h("div", { class: "dd-scroll" }, h("table", { class: "dd-table" }, h("thead", {}, head), body));
  }

  function historyNode() {
    const list = h("ol", { class: "dd-history" });
    for (const line of model.get("history")) list.append(h("li", {}, line));
    return h("details", { class: "dd-history-box" }, h("summary", {}, `history (${model.get("history").length} steps)`), list);
  }

  function draw() {
    el.replaceChildren(
      toolbarNode(),
      h("div", { class: "dd-body" }, facetsNode(), h("div", { class: "dd-main" }, tableNode(), historyNode())),
    );
    el.setAttribute("data-version", String(model.get("version")));
  }

  model.on("change:version", draw);
  draw();
}

export default { render };
