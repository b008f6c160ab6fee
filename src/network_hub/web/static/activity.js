// Network Activity (DOMAIN §4, seed 001): find a patron, Loans / Requests / Fines and fees,
// the institution filter with the hub's counters, export of the current view, sortable columns;
// the patron's privacy ledger on request (privacyLedger).
(function () {
  "use strict";
  var el = LFN.el, day = LFN.day;
  var QUERY = "query ConsoleNetworkActivity($patronId: String!, $institution: String) {" +
    " networkActivity(patronId: $patronId, institution: $institution) {" +
    " patronId homeInstitution institutionFilter hasNetworkActivity loanCount requestCount hasFees" +
    " feeBalances { amount currency }" +
    " institutions { code name loanCount requestCount feeCount }" +
    " loans { institutionCode institutionName title author barcode loanDate dueDate renewals loanInstitution loanLocation owningLibrary }" +
    " requests { institutionCode institutionName title author status pickupInstitution pickupLocation placedDate holdShelfExpiry managingLibrary owningLibrary }" +
    " fees { institutionCode institutionName type original balance currency owner }" +
    " unavailable { institutionCode institutionName code message } } }";

  var LEDGER = "query ConsoleLedger($id: String!) { privacyLedger(homeUserId: $id, first: 50) {" +
    " at kind actorKind actorInstitution actorId fromMember toMember fields purpose outcome } }";
  var KIND = { LINKED_ACCOUNT: "Linked account made or updated", GETIT_REGISTRATION: "Registered in Get It",
    WALK_IN_LOOKUP: "Walk-in lookup", NETWORK_ACTIVITY: "Network Activity viewed" };
  var STATUS = { PLACED: "Placed", PICK_FROM_SHELF: "Being picked from the shelf",
    IN_TRANSIT: "In transit", ON_HOLD_SHELF: "On the hold shelf" };
  var today = new Date().toISOString().slice(0, 10);
  var COLUMNS = {
    loans: [
      ["institutionName", "Institution"], ["title", "Title"], ["author", "Author"], ["barcode", "Barcode"],
      ["loanDate", "Loaned", day], ["dueDate", "Due", day], ["renewals", "Renewals"],
      ["owningLibrary", "Owning library"], ["loanLocation", "Loaned at"],
    ],
    requests: [
      ["institutionName", "Institution"], ["title", "Title"], ["status", "Status", function (v) { return STATUS[v] || v; }],
      ["pickupLocation", "Pickup at", null, function (r) { return [r.pickupLocation, LFN.memberName(r.pickupInstitution)].filter(Boolean).join(", "); }],
      ["placedDate", "Placed", day], ["holdShelfExpiry", "On hold until", day], ["owningLibrary", "Owning library"],
    ],
    fees: [
      ["institutionName", "Institution"], ["type", "Type"], ["owner", "Owner"],
      ["original", "Original", null, function (r) { return r.original + " " + r.currency; }],
      ["balance", "Balance", null, function (r) { return r.balance + " " + r.currency; }],
    ],
  };
  var state = { patronId: null, institution: null, view: "loans", sort: {}, data: null, asked: 0 };
  var $ = function (id) { return document.getElementById(id); };

  function money(list) {
    return list.map(function (m) { return m.amount + " " + m.currency; }).join(" + ");
  }

  async function load() {
    var asked = ++state.asked;
    $("refusal").hidden = true;
    $("find").setAttribute("aria-busy", "true");
    try {
      var data = await LFN.hub(QUERY, { patronId: state.patronId, institution: state.institution });
      if (asked !== state.asked) return;
      state.data = data.networkActivity;
      render();
    } catch (e) {
      if (asked !== state.asked) return;
      state.data = null;
      $("activity").hidden = true;
      $("ledger").hidden = true;
      $("notice").hidden = true;
      $("refusal").textContent = e.message;
      $("refusal").hidden = false;
    } finally {
      $("find").removeAttribute("aria-busy");
    }
  }

  async function showLedger() {
    var body = $("ledger-body"), d = state.data;
    body.textContent = "";
    if (d.homeInstitution !== LFN.operator.institution) {
      body.appendChild(el("p", null, "This patron's home institution keeps their privacy ledger."));
      return;
    }
    try {
      var entries = (await LFN.hub(LEDGER, { id: d.patronId })).privacyLedger;
    } catch (e) {
      body.appendChild(el("p", { class: "error" }, e.message));
      return;
    }
    if (!entries.length) {
      body.appendChild(el("p", null, "Nothing about this patron has crossed to another institution."));
      return;
    }
    var t = el("table", { id: "ledger-rows" }, el("caption", null, "Latest " + entries.length + " entries, newest first"));
    var head = el("tr");
    ["When", "What", "From", "To", "By", "Information", "Why"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(el("thead", null, head));
    var tbody = el("tbody");
    entries.forEach(function (x) {
      var row = el("tr");
      [day(x.at) + " " + String(x.at).slice(11, 16), KIND[x.kind] || x.kind, LFN.memberName(x.fromMember),
        LFN.memberName(x.toMember), (x.actorKind === "PATRON" ? "The patron" : LFN.memberName(x.actorInstitution) + " " + x.actorId),
        x.fields.length ? x.fields.join(", ") : "nothing (" + x.outcome.toLowerCase().replace("_", " ") + ")", x.purpose
      ].forEach(function (c) { row.appendChild(el("td", null, c)); });
      tbody.appendChild(row);
    });
    t.appendChild(tbody);
    body.appendChild(el("div", { class: "table-wrap" }, t));
  }

  function render() {
    var d = state.data;
    $("activity").hidden = false;
    $("ledger").hidden = false;
    $("ledger-body").textContent = "";
    $("patron-label").textContent = d.patronId;
    var ind = $("indicator");
    ind.textContent = "";
    ind.appendChild(el("span", { class: "dot" + (d.hasNetworkActivity ? " on" : ""), "aria-hidden": "true" }));
    ind.appendChild(document.createTextNode(d.hasNetworkActivity
      ? "Has activity at other institutions" : "No activity at other institutions"));
    // Non-blocking: the rest is shown, the gap is named.
    var notice = $("notice");
    if (d.unavailable.length) {
      notice.textContent = "Not complete: " + d.unavailable.map(function (u) {
        return u.institutionName + " (" + LFN.sentence(u.message).replace(/\.$/, "") + ")";
      }).join("; ") + ". Their loans, requests and fees are not shown.";
      notice.hidden = false;
    } else {
      notice.hidden = true;
    }
    var select = $("institution-filter");
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, "All institutions"));
    d.institutions.forEach(function (i) {
      select.appendChild(el("option", { value: i.code, selected: d.institutionFilter === i.code }, i.name));
    });
    $("loan-count").textContent = d.loanCount;
    $("request-count").textContent = d.requestCount;
    $("fee-mark").textContent = d.hasFees ? "● " + money(d.feeBalances) : "(none)";
    $("balances").textContent = d.hasFees ? "Open balance: " + money(d.feeBalances) : "No open fines or fees.";
    renderView();
  }

  function rowsOf(view) { return state.data[view]; }

  function renderView() {
    var view = state.view;
    document.querySelectorAll(".views button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    });
    var exp = $("exports");
    if (view === "fees") {
      exp.hidden = true;
    } else {
      exp.hidden = false;
      var params = new URLSearchParams({ patronId: state.patronId, kind: view });
      if (state.institution) params.set("institution", state.institution);
      $("export-csv").href = "/staff/api/export/network-activity.csv?" + params;
      $("export-xlsx").href = "/staff/api/export/network-activity.xlsx?" + params;
    }
    var cols = COLUMNS[view];
    var rows = rowsOf(view).slice();
    var sort = state.sort[view];
    if (sort) {
      var col = cols.find(function (c) { return c[0] === sort.key; });
      rows.sort(function (a, b) {
        var x = cell(col, a), y = cell(col, b);
        var n = (typeof a[sort.key] === "number") ? a[sort.key] - b[sort.key]
          : String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: "base" });
        return sort.dir === "ascending" ? n : -n;
      });
    }
    var table = $("rows");
    var thead = table.tHead, tbody = table.tBodies[0];
    thead.textContent = "";
    var tr = el("tr");
    cols.forEach(function (c) {
      var th = el("th", { scope: "col", "aria-sort": sort && sort.key === c[0] ? sort.dir : null },
        el("button", { type: "button", "data-key": c[0] }, c[1]));
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    var label = { loans: "Loans", requests: "Requests", fees: "Fines and fees" }[view];
    $("rows-caption").textContent = label + " (" + rows.length + ")" +
      (state.institution ? " at " + LFN.memberName(state.institution) : " at all institutions");
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var row = el("tr");
      cols.forEach(function (c) {
        var td = el("td", null, String(cell(c, r)));
        if (c[0] === "dueDate" && day(r.dueDate) < today) {
          td.className = "overdue";
          td.appendChild(document.createTextNode(" (overdue)"));
        }
        row.appendChild(td);
      });
      frag.appendChild(row);
    });
    tbody.textContent = "";
    tbody.appendChild(frag);
    $("empty").hidden = rows.length > 0;
  }

  function cell(col, row) {
    if (col[3]) return col[3](row);
    var v = row[col[0]];
    if (v === null || v === undefined) return "";
    return col[2] ? col[2](v) : v;
  }

  $("find").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var id = $("patron-id").value.trim();
    if (!id) return;
    state.patronId = id;
    state.institution = null;
    state.view = "loans";
    load();
  });
  $("show-ledger").addEventListener("click", function () {
    if (state.data) showLedger();
  });
  $("institution-filter").addEventListener("change", function (ev) {
    state.institution = ev.target.value || null;
    load();
  });
  document.querySelector(".views").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-view]");
    if (!b || !state.data) return;
    state.view = b.dataset.view;
    renderView();
  });
  $("rows").tHead.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-key]");
    if (!b) return;
    var cur = state.sort[state.view];
    state.sort[state.view] = { key: b.dataset.key,
      dir: cur && cur.key === b.dataset.key && cur.dir === "ascending" ? "descending" : "ascending" };
    renderView();
    var again = $("rows").tHead.querySelector('button[data-key="' + b.dataset.key + '"]');
    if (again) again.focus();
  });
  $("patron-id").focus();
})();
