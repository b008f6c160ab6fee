// Resource sharing (DOMAIN §8, seeds 003/004): the operator's own institution's borrowing and
// lending requests, through its node's staff API (the console's member gateway). The list has
// the node's status facet and paging; a request opens with its fields, its history and a form
// for each step the node says it allows now (availableActions): the page decides nothing the
// state table has not.
(function () {
  "use strict";
  var el = LFN.el, day = LFN.day;
  var $ = function (id) { return document.getElementById(id); };

  var HISTORY = "history { id category kind note fromStatus toStatus partnerCode actor active delivery createdAt }";
  var SIDES = {
    borrowing: {
      list: "borrowingRequests", one: "borrowingRequest", filter: "BorrowingFilterInput",
      fields: "id status format title author isbn recordId neededBy note patronPrimaryId patronName " +
        "libraryCode pickupLibraryCode partnerCode rota rotaPosition partnerRequestId itemBarcode dueAt " +
        "renewals conditionCode conditionNote cancelReason assignee activeNotes updatedAt closedAt availableActions",
      dismiss: "dismissBorrowingNotes",
    },
    lending: {
      list: "lendingRequests", one: "lendingRequest", filter: "LendingFilterInput",
      fields: "id status partnerCode partnerRequestId serviceType title author isbn recordId neededBy " +
        "patronReference patronName pickupLocation partnerNote itemBarcode itemLibraryCode libraryCode " +
        "moveRequestStatus dueAt renewals conditionCode conditionNote replyBy unfillReason " +
        "assignee activeNotes alerts updatedAt closedAt availableActions",
      dismiss: "dismissLendingNotes",
    },
  };
  var PAGE_SIZE = 25;

  // Arguments a step may take: [name, label, GraphQL type, input kind].
  var NOTE = ["note", "Note (optional)", "String"];
  var DESK = ["deskCode", "Desk code", "String!"];
  var STEPS = {
    borrowing: {
      SEND: ["Send to the first partner", "sendBorrowingRequest", []],
      CANCEL: ["Cancel the request", "cancelBorrowingRequest", [["reason", "Reason", "String!"]]],
      MOVE_TO_NEXT_PARTNER: ["Ask the next partner", "moveBorrowingRequestToNextPartner", [NOTE]],
      ACCEPT_CONDITIONS: ["Accept the conditions", "acceptBorrowingConditions", [NOTE]],
      DECLINE_CONDITIONS: ["Decline the conditions", "declineBorrowingConditions", [NOTE]],
      RESEND: ["Ask the rota again", "resendBorrowingRequest", []],
      RECEIVE: ["Receive it at a desk", "receiveBorrowingRequest",
        [DESK, ["barcode", "Barcode to put on it (optional)", "String"], NOTE]],
      LOAN_TO_PATRON: ["Loan it to the patron at a desk", "loanBorrowingRequest", [DESK]],
      REQUEST_RENEWAL: ["Ask the partner to renew", "renewBorrowingRequest", [NOTE]],
      RETURN_BY_PATRON: ["The patron returned it at a desk", "returnBorrowingRequest", [DESK]],
      RETURN_TO_PARTNER: ["Ship it back to the partner", "returnBorrowingRequestToPartner", [NOTE]],
      REPORT_LOST: ["Report it lost here", "reportBorrowingRequestLost", [NOTE]],
      DECLARE_LOST_BY_PARTNER: ["The partner declared it lost", "declareBorrowingRequestLostByPartner", [NOTE]],
      COMPLETE: ["Complete (settled with the partner)", "completeBorrowingRequest", [NOTE]],
      QUERY_PATRON: ["Write to the patron", "queryBorrowingPatron",
        [["subject", "Subject", "String!"], ["body", "Letter", "String!", "textarea"]]],
      SEND_MESSAGE: ["Message the partner", "sendBorrowingMessage", [["note", "Message", "String!", "textarea"]]],
      ADD_NOTE: ["Add an internal note", "addBorrowingNote", [["text", "Note", "String!", "textarea"]]],
      ASSIGN: ["Assign", "assignBorrowingRequest", [["assignee", "Operator ID (empty: nobody)", "String"], NOTE]],
    },
    lending: {
      WILL_SUPPLY: ["Will supply", "willSupplyLendingRequest", [["barcode", "Copy's barcode (optional: any copy)", "String"], NOTE]],
      ADD_CONDITIONS: ["Supply on conditions", "addLendingConditions",
        [["condition", "Condition (e.g. LIBRARY_USE_ONLY)", "String!"], ["replyBy", "Reply by", "DateTime!", "datetime-local"], NOTE]],
      UNFILL: ["Reject (unfilled)", "unfillLendingRequest", [["reason", "Reason", "String!"], NOTE]],
      SHIP: ["Ship to the partner", "shipLendingRequest",
        [["deskCode", "Shipping desk code", "String"], ["barcode", "Barcode (optional)", "String"],
          ["dueAt", "Due (optional: the loan period)", "DateTime", "date"], NOTE]],
      APPROVE_RENEWAL: ["Grant the renewal", "approveLendingRenewal", [["dueAt", "New due date (optional)", "DateTime", "date"], NOTE]],
      REJECT_RENEWAL: ["Refuse the renewal", "rejectLendingRenewal", [NOTE]],
      CHECK_IN: ["Check it in (back from the partner)", "checkInLendingRequest", [["deskCode", "Desk code (optional)", "String"], NOTE]],
      DECLARE_LOST: ["Declare it lost at the partner", "declareLendingRequestLost", [["fee", "Fee (optional: the terms')", "String"], NOTE]],
      COMPLETE: ["Complete (the partner paid)", "completeLendingRequest", [NOTE]],
      RECALL: ["Recall it", "recallLendingRequest", [NOTE]],
      SEND_MESSAGE: ["Message the partner", "sendLendingMessage", [["note", "Message", "String!", "textarea"]]],
      ADD_NOTE: ["Add an internal note", "addLendingNote", [["text", "Note", "String!", "textarea"]]],
      ASSIGN: ["Assign", "assignLendingRequest", [["assignee", "Operator ID (empty: nobody)", "String"], NOTE]],
      DISMISS_ALERTS: ["Dismiss the alerts", "dismissLendingAlerts", []],
    },
  };
  var STATUS = {
    READY_TO_SEND: "Ready to send", REQUEST_SENT: "Sent to the partner", WILL_SUPPLY: "Will supply",
    CONDITIONAL: "Conditions to answer", CANCEL_REQUESTED: "Cancel asked", SHIPPED: "Shipped",
    RECEIVED: "Received", LOANED_TO_PATRON: "Loaned to the patron", RENEW_REQUESTED: "Renewal asked",
    RENEWED_BY_PARTNER: "Renewed by the partner", RENEWAL_REJECTED: "Renewal refused",
    RETURNED_BY_PATRON: "Returned by the patron", RETURNED_TO_PARTNER: "Shipped back",
    COMPLETED: "Completed", CANCELLED: "Cancelled", END_OF_ROTA: "End of the rota",
    REPORTED_LOST: "Reported lost", DECLARED_LOST_BY_PARTNER: "Declared lost by the partner",
    NEW: "New", RETURNED: "Returned by the borrower", UNFILLED: "Unfilled",
    LOST_AND_FEE_COMMUNICATED: "Lost, fee communicated",
  };
  var CATEGORY = { MESSAGE_IN: "From the partner", MESSAGE_OUT: "To the partner", STATUS: "Status",
    NOTE: "Note", ALERT: "Alert" };
  var DELIVERY = { PENDING: "waiting to be sent", SENDING: "being sent", SENT: "delivered", FAILED: "not delivered" };

  var state = { side: "borrowing", status: "", notes: false, rows: [], cursor: null, more: false,
    selected: null, asked: 0, partners: {}, libraries: [] };

  function label(code) {
    if (!code) return "";
    return STATUS[code] || code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, " ");
  }
  function partnerName(code) { return code ? state.partners[code] || code : ""; }
  function when(iso) { return iso ? day(iso) + " " + String(iso).slice(11, 16) : ""; }

  function refuse(message) {
    $("refusal").textContent = message;
    $("refusal").hidden = !message;
  }

  function listQuery(side) {
    var s = SIDES[side];
    return "query ConsoleRsList($filter: " + s.filter + ", $first: Int!, $after: String) { page: " + s.list +
      "(filter: $filter, first: $first, after: $after) { totalCount endCursor hasNextPage" +
      " nodes { " + s.fields + " } facets { status { value count } } } }";
  }

  async function loadList(append) {
    var asked = ++state.asked, side = state.side;
    var filter = {};
    if (state.status) filter.status = [state.status];
    if (state.notes) filter.hasActiveNote = true;
    $("list").setAttribute("aria-busy", "true");
    try {
      var page = (await LFN.member(listQuery(side),
        { filter: filter, first: PAGE_SIZE, after: append ? state.cursor : null })).page;
      if (asked !== state.asked) return;
      refuse("");
      state.rows = append ? state.rows.concat(page.nodes) : page.nodes;
      state.cursor = page.endCursor;
      state.more = page.hasNextPage;
      state.total = page.totalCount;
      renderFacets(page.facets.status);
      renderList();
    } catch (e) {
      if (asked !== state.asked) return;
      state.rows = [];
      renderList();
      refuse(e.message);
    } finally {
      $("list").removeAttribute("aria-busy");
    }
  }

  function renderFacets(counts) {
    var select = $("status-filter");
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, "All statuses"));
    var seen = false;
    counts.forEach(function (c) {
      if (c.value === state.status) seen = true;
      select.appendChild(el("option", { value: c.value, selected: c.value === state.status },
        label(c.value) + " (" + c.count + ")"));
    });
    if (state.status && !seen) {
      select.appendChild(el("option", { value: state.status, selected: true }, label(state.status) + " (0)"));
    }
  }

  var COLUMNS = {
    borrowing: [
      ["Title", null], ["Patron", function (r) { return r.patronName + " (" + r.patronPrimaryId + ")"; }],
      ["Partner asked", function (r) { return partnerName(r.partnerCode); }],
      ["Status", function (r) { return label(r.status); }],
      ["Pickup", function (r) { return libraryName(r.pickupLibraryCode); }],
      ["Updated", function (r) { return when(r.updatedAt); }],
      ["Notes", function (r) { return r.activeNotes ? String(r.activeNotes) : ""; }],
    ],
    lending: [
      ["Title", null], ["Partner", function (r) { return partnerName(r.partnerCode); }],
      ["Status", function (r) { return label(r.status); }],
      ["Item", function (r) { return r.itemBarcode || ""; }],
      ["Due", function (r) { return day(r.dueAt); }],
      ["Updated", function (r) { return when(r.updatedAt); }],
      ["Notes", function (r) { return [r.activeNotes ? r.activeNotes + " notes" : "", r.alerts ? r.alerts + " alerts" : ""].filter(Boolean).join(", "); }],
    ],
  };

  function libraryName(code) {
    for (var i = 0; i < state.libraries.length; i++) if (state.libraries[i].code === code) return state.libraries[i].name;
    return code || "";
  }

  function renderList() {
    var cols = COLUMNS[state.side], table = $("rs-rows");
    var head = el("tr");
    cols.forEach(function (c) { head.appendChild(el("th", { scope: "col" }, c[0])); });
    table.tHead.textContent = "";
    table.tHead.appendChild(head);
    var body = document.createDocumentFragment();
    state.rows.forEach(function (r) {
      var row = el("tr", { "data-id": r.id, class: state.selected === r.id ? "selected" : null });
      cols.forEach(function (c) {
        if (c[1]) { row.appendChild(el("td", null, c[1](r))); return; }
        row.appendChild(el("td", null, el("button", {
          type: "button", class: "link", "data-open": r.id,
          "aria-current": state.selected === r.id ? "true" : null,
        }, r.title)));
      });
      body.appendChild(row);
    });
    table.tBodies[0].textContent = "";
    table.tBodies[0].appendChild(body);
    var what = state.side === "borrowing" ? "Borrowing requests" : "Lending requests";
    $("list-caption").textContent = what + (state.status ? ", " + label(state.status).toLowerCase() : "") +
      (state.notes ? ", with active notes" : "") + ": " + state.rows.length + " of " + (state.total || 0) + ", newest first";
    $("empty").hidden = state.rows.length > 0;
    $("more").hidden = !state.more;
  }

  function oneQuery(side) {
    var s = SIDES[side];
    return "query ConsoleRsOne($id: ID!) { request: " + s.one + "(id: $id) { " + s.fields + " " + HISTORY + " } }";
  }

  async function open(id) {
    var side = state.side;
    try {
      var request = (await LFN.member(oneQuery(side), { id: id })).request;
    } catch (e) {
      refuse(e.message);
      return;
    }
    state.selected = id;
    renderList();
    renderDetail(side, request);
    $("detail-heading").focus();
  }

  function field(dl, name, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(el("dt", null, name));
    dl.appendChild(el("dd", null, String(value)));
  }

  function renderDetail(side, r) {
    $("detail").hidden = false;
    $("detail").dataset.side = side;
    $("detail").dataset.id = r.id;
    $("detail-heading").textContent = r.title + " · " + label(r.status);
    var dl = $("detail-fields");
    dl.textContent = "";
    if (side === "borrowing") {
      field(dl, "Patron", r.patronName + " (" + r.patronPrimaryId + ")");
      field(dl, "Pickup", libraryName(r.pickupLibraryCode));
      field(dl, "Partner asked", partnerName(r.partnerCode));
      field(dl, "Rota", r.rota.map(function (c, i) {
        return (i === r.rotaPosition && r.partnerCode ? "▸ " : "") + partnerName(c);
      }).join(", "));
      field(dl, "Partner's request ID", r.partnerRequestId);
      field(dl, "Conditions", [r.conditionCode, r.conditionNote].filter(Boolean).join(": "));
      field(dl, "Cancel reason", r.cancelReason);
      field(dl, "Item barcode", r.itemBarcode);
    } else {
      field(dl, "Partner", partnerName(r.partnerCode) + " (their request " + r.partnerRequestId + ")");
      field(dl, "For", [r.patronName, r.patronReference].filter(Boolean).join(", "));
      field(dl, "Pickup at the partner", r.pickupLocation);
      field(dl, "Partner's note", r.partnerNote);
      field(dl, "Copy", [r.itemBarcode, libraryName(r.itemLibraryCode)].filter(Boolean).join(" at "));
      field(dl, "Move request", r.moveRequestStatus ? label(r.moveRequestStatus) : "");
      field(dl, "Conditions", [r.conditionCode, r.conditionNote].filter(Boolean).join(": "));
      field(dl, "Reply by", when(r.replyBy));
      field(dl, "Unfilled because", r.unfillReason);
    }
    field(dl, "Author", r.author);
    field(dl, "ISBN", r.isbn);
    field(dl, "Record", r.recordId);
    field(dl, "Needed by", day(r.neededBy));
    field(dl, "Due", day(r.dueAt));
    field(dl, "Renewals", r.renewals || "");
    field(dl, "Assigned to", r.assignee);
    field(dl, "Active notes", r.activeNotes || "");
    field(dl, "Closed", when(r.closedAt));

    $("step-result").textContent = "";
    renderActions(side, r);
    renderHistory(r.history || []);
  }

  function renderActions(side, r) {
    var box = $("actions");
    box.textContent = "";
    var steps = r.availableActions.filter(function (a) { return STEPS[side][a]; });
    if (r.activeNotes) steps.push("DISMISS_NOTES");
    if (!steps.length) {
      box.appendChild(el("p", { class: "hint" }, "Nothing to do on this request now."));
      return;
    }
    steps.forEach(function (action) {
      var spec = action === "DISMISS_NOTES"
        ? ["Dismiss the notes and messages", SIDES[side].dismiss, []] : STEPS[side][action];
      var form = el("form", { class: "step", "data-action": action, novalidate: true });
      spec[2].forEach(function (arg) {
        var id = "step-" + action.toLowerCase() + "-" + arg[0];
        form.appendChild(el("label", { for: id }, arg[1]));
        var input = arg[3] === "textarea"
          ? el("textarea", { id: id, name: arg[0], rows: "3", required: /!$/.test(arg[2]) })
          : el("input", { id: id, name: arg[0], type: arg[3] || "text", autocomplete: "off",
            required: /!$/.test(arg[2]) });
        if (arg[0] === "deskCode") input.value = localStorage.getItem("lfn-desk") || "";
        if (arg[0] === "assignee") input.value = LFN.operator.user;  // "assign to me" by default
        form.appendChild(input);
      });
      form.appendChild(el("button", { type: "submit" }, spec[0]));
      if (spec[2].length) {
        box.appendChild(el("details", null, el("summary", null, spec[0]), form));
      } else {
        box.appendChild(form);
      }
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        step(side, r, spec, form);
      });
    });
  }

  function value(arg, raw) {
    raw = raw.trim();
    if (!raw) return null;
    if (arg[3] === "datetime-local") return new Date(raw).toISOString();
    if (arg[3] === "date") return new Date(raw + "T23:59:00").toISOString();
    return raw;
  }

  async function step(side, r, spec, form) {
    var variables = { id: r.id }, decl = ["$id: ID!"], args = ["id: $id"], missing = [];
    spec[2].forEach(function (arg) {
      var v = value(arg, form.elements[arg[0]].value);
      if (v === null && /!$/.test(arg[2])) missing.push(arg[1].replace(/ \(.*\)$/, "").toLowerCase());
      if (v === null && arg[0] !== "assignee") return;
      variables[arg[0]] = v;
      decl.push("$" + arg[0] + ": " + arg[2]);
      args.push(arg[0] + ": $" + arg[0]);
    });
    if (missing.length) {
      renderOutcome({ failed: true, text: "Give the " + missing.join(" and ") + " first." });
      return;
    }
    if (variables.deskCode) localStorage.setItem("lfn-desk", variables.deskCode);
    var doc = "mutation ConsoleRsStep(" + decl.join(", ") + ") { request: " + spec[1] + "(" + args.join(", ") +
      ") { " + SIDES[side].fields + " " + HISTORY + " } }";
    var button = form.querySelector("button");
    button.disabled = true;
    try {
      var after = (await LFN.member(doc, variables)).request;
    } catch (e) {
      button.disabled = false;
      renderOutcome({ failed: true, text: e.message });
      return;
    }
    renderDetail(side, after);
    renderOutcome({ failed: false, text: spec[0] + ": done. Now " + label(after.status).toLowerCase() + "." });
    loadList(false);
  }

  function renderOutcome(outcome) {
    var result = $("step-result");
    result.textContent = "";
    result.appendChild(el("p", { class: outcome.failed ? "error" : null, tabindex: "-1", id: "step-outcome" }, outcome.text));
    $("step-outcome").focus();
  }

  function renderHistory(lines) {
    var list = $("history");
    list.textContent = "";
    lines.forEach(function (h) {
      // A protocol message keeps its own name (NCIP:CheckInItem → "NCIP CheckInItem").
      var what = h.category !== "STATUS" ? (h.kind.indexOf(":") > 0 ? h.kind.replace(":", " ") : label(h.kind))
        : h.fromStatus ? label(h.fromStatus) + " → " + label(h.toStatus)
          : "Created, " + label(h.toStatus).toLowerCase();
      var parts = [when(h.createdAt), CATEGORY[h.category] || h.category, what];
      if (h.partnerCode) parts.push(partnerName(h.partnerCode));
      if (h.actor) parts.push("by " + h.actor);
      if (h.delivery) parts.push(DELIVERY[h.delivery] || h.delivery);
      list.appendChild(el("li", { class: h.active ? "active" : null },
        parts.join(" · "), h.note ? el("q", null, h.note) : null, h.active ? el("strong", null, " (open)") : null));
    });
    if (!lines.length) list.appendChild(el("li", null, "Nothing yet."));
  }

  // --- a new borrowing request ----------------------------------------------------------

  var ASK = "query ConsoleRsSetup { libraries { code name } resourceSharingPartners(activeOnly: true) { code name } rotas { code name isDefault } }";
  var CREATE = "mutation ConsoleRsCreate($input: CreateBorrowingRequestInput!) { request: createBorrowingRequest(input: $input) { " +
    SIDES.borrowing.fields + " " + HISTORY + " } }";

  function fillSetup(data) {
    state.libraries = data.libraries;
    data.resourceSharingPartners.forEach(function (p) { state.partners[p.code] = p.name; });
    var pickup = $("create-pickup");
    data.libraries.forEach(function (l) { pickup.appendChild(el("option", { value: l.code }, l.name)); });
    var ask = $("create-ask");
    var fallback = data.rotas.some(function (r) { return r.isDefault; }) ? "The default rota" : "Every network partner, in turn";
    ask.appendChild(el("option", { value: "" }, fallback));
    data.rotas.forEach(function (r) { ask.appendChild(el("option", { value: "rota:" + r.code }, "Rota: " + r.name)); });
    data.resourceSharingPartners.forEach(function (p) {
      ask.appendChild(el("option", { value: "partner:" + p.code }, "Only " + p.name));
    });
  }

  async function create(ev) {
    ev.preventDefault();
    var f = $("create-form").elements, out = $("create-result");
    var input = { pickupLibraryCode: f.pickupLibraryCode.value, send: f.send.checked };
    ["patronPrimaryId", "title", "author", "isbn", "recordId", "neededBy", "note"].forEach(function (name) {
      var v = f[name].value.trim();
      if (v) input[name] = v;
    });
    var ask = f.ask.value;
    if (ask.indexOf("rota:") === 0) input.rotaCode = ask.slice(5);
    if (ask.indexOf("partner:") === 0) input.partnerCodes = [ask.slice(8)];
    out.textContent = "";
    var missing = [];
    if (!input.patronPrimaryId) missing.push("patron ID");
    if (!input.title && !input.recordId) missing.push("title");
    if (missing.length) {
      out.appendChild(el("p", { class: "error", tabindex: "-1" }, "Give the " + missing.join(" and ") + " first."));
      out.firstChild.focus();
      return;
    }
    try {
      var made = (await LFN.member(CREATE, { input: input })).request;
    } catch (e) {
      out.appendChild(el("p", { class: "error", tabindex: "-1" }, e.message));
      out.firstChild.focus();
      return;
    }
    $("create-form").reset();
    $("create-form").hidden = true;
    state.side = "borrowing";
    state.status = "";
    state.selected = made.id;
    showSide();
    await loadList(false);
    var sent = made.partnerCode ? " and sent to " + partnerName(made.partnerCode) : "";
    renderDetail("borrowing", made);
    renderOutcome({ failed: false, text: "Created" + sent + ". Now " + label(made.status).toLowerCase() + "." });
  }

  // --- wiring ---------------------------------------------------------------------------

  function showSide() {
    document.querySelectorAll("[data-side]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.side === state.side));
    });
  }

  document.querySelector(".views").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-side]");
    if (!b || b.dataset.side === state.side) return;
    state.side = b.dataset.side;
    state.status = "";
    state.selected = null;
    $("detail").hidden = true;
    showSide();
    loadList(false);
  });
  $("status-filter").addEventListener("change", function (ev) {
    state.status = ev.target.value;
    loadList(false);
  });
  $("notes-filter").addEventListener("change", function (ev) {
    state.notes = ev.target.checked;
    loadList(false);
  });
  $("more").addEventListener("click", function () { loadList(true); });
  $("rs-rows").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-open]");
    if (b) open(b.dataset.open);
  });
  $("new-borrowing").addEventListener("click", function () {
    $("create-form").hidden = false;
    $("create-heading").focus();
  });
  $("create-close").addEventListener("click", function () {
    $("create-form").hidden = true;
    $("new-borrowing").focus();
  });
  $("create-form").addEventListener("submit", create);

  (async function start() {
    try {
      fillSetup(await LFN.member(ASK, {}));
    } catch (e) {
      refuse(e.message);
      return;
    }
    await loadList(false);
  })();
})();
