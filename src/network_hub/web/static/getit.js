// Get It for one network record (DOMAIN §5): the home section and the other institutions'
// sections exactly as the hub shapes them. AVAILABILITY_ONLY: whether and how many copies,
// nothing else. ANONYMOUS: holdings, loanable or not, and Register where the member offers it
// (MANUAL). PERSONAL: terms of use and request options with pickup places (AUTO, or after
// registering). A viewer without a token always gets the anonymous view.
(function () {
  "use strict";
  var W = LFNW, el = W.el;
  var root = document.getElementById("getit");
  var record = root.dataset.record, home = root.dataset.home || null;
  var SECTION = "institutionCode institutionName found available availableCount totalCount access " +
    "registration registerOption requestable resourceSharing " +
    "holdings { libraryCode libraryName location callNumber items { barcode status dueAt loanable " +
    "terms { loanPeriodDays renewalsAllowed requestable fees { kind amount currency } } } } " +
    "pickupPoints { institutionCode libraryCode libraryName }";
  var GET_IT = "query WidgetGetIt($ids: [String!]!, $home: String) { getIt(recordIds: $ids, shape: FULL, homeInstitution: $home) {" +
    " homeInstitution availabilityDisplay viewer records { recordId home { " + SECTION + " } others { " + SECTION + " } }" +
    " unavailable { institutionCode institutionName message } } }";
  var REGISTER = "mutation WidgetRegister($member: String!, $ids: [String!]) { registerAtMember(member: $member, recordIds: $ids) { institutionName networkLinkId } }";
  var PICKUP = "query WidgetPickup($member: String!) { pickupLibraries(member: $member) { institutionCode code name } }";
  var REQUEST = "mutation WidgetRequest($owner: String!, $inst: String!, $lib: String!, $record: String!, $key: String!) {" +
    " networkRequest(owner: $owner, pickupInstitution: $inst, pickupLibraryCode: $lib, recordId: $record, idempotencyKey: $key) {" +
    " title requestStatus pickupInstitution pickupLibraryName } }";
  var ASK_HOME = "mutation WidgetResourceSharing($input: ResourceSharingRequestInput!, $key: String!) {" +
    " requestResourceSharing(input: $input, idempotencyKey: $key) { title pickupLibraryName } }";
  var STATUS = { ON_SHELF: "on the shelf", ON_LOAN: "on loan", IN_TRANSIT: "in transit", ON_HOLD_SHELF: "on the hold shelf" };
  var viewer = "ANONYMOUS";
  var messages = {};  // per member: the last action's sentence, kept across reloads of the view
  var $ = function (id) { return document.getElementById(id); };

  function itemLine(item, personal) {
    var text = item.barcode + ": " + (STATUS[item.status] || item.status);
    if (item.status === "ON_LOAN" && item.dueAt) text += " until " + W.day(item.dueAt);
    text += item.loanable ? ", loanable" : ", not loanable";
    if (personal && item.terms) {
      text += " — " + item.terms.loanPeriodDays + "-day loan, " + item.terms.renewalsAllowed + " renewals";
      item.terms.fees.forEach(function (f) {
        text += ", " + (f.kind === "LOAN_FEE" ? "loan fee " : "overdue fine per day ") + f.amount + " " + f.currency;
      });
    }
    return el("li", null, text);
  }

  function holdings(section) {
    var list = el("ul");
    (section.holdings || []).forEach(function (h) {
      var items = el("ul");
      h.items.forEach(function (i) { items.appendChild(itemLine(i, section.access === "PERSONAL")); });
      list.appendChild(el("li", null, h.libraryName + ", " + h.location + (h.callNumber ? " (" + h.callNumber + ")" : ""), items));
    });
    return list;
  }

  function count(section) {
    if (!section.found) return el("p", { class: "unavailable-text" }, "Not held.");
    if (section.available) {
      return el("p", { class: "available" }, "Available: " + section.availableCount + (section.availableCount === 1 ? " copy" : " copies") +
        (section.totalCount !== null && section.totalCount !== undefined ? " of " + section.totalCount : ""));
    }
    return el("p", { class: "unavailable-text" }, "No copy available now" +
      (section.totalCount ? " (" + section.totalCount + " held)" : "") + ".");
  }

  async function pickupOptions(section) {
    var out = [];
    for (var i = 0; i < (section.pickupPoints || []).length; i++) {
      var p = section.pickupPoints[i];
      if (p.libraryCode) {
        out.push({ inst: p.institutionCode, lib: p.libraryCode, label: p.libraryName + ", " + W.memberName(p.institutionCode) });
      } else {
        try {
          var libs = (await W.gql(PICKUP, { member: p.institutionCode })).pickupLibraries;
          libs.forEach(function (l) { out.push({ inst: l.institutionCode, lib: l.code, label: l.name + ", " + W.memberName(l.institutionCode) }); });
        } catch (e) { /* that member cannot tell its pickup places now: offer the others */ }
      }
    }
    return out;
  }

  async function requestForm(section) {
    var id = "pickup-" + section.institutionCode;
    var select = el("select", { id: id, name: "pickup" });
    (await pickupOptions(section)).forEach(function (o) {
      select.appendChild(el("option", { value: o.inst + "|" + o.lib }, o.label));
    });
    var form = el("form", { class: "request", "aria-label": "Request from " + section.institutionName },
      el("label", { for: id }, "Pick it up at"), select,
      el("button", { type: "submit" }, "Request from " + section.institutionName));
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var parts = select.value.split("|");
      try {
        var step = (await W.gql(REQUEST, { owner: section.institutionCode, inst: parts[0], lib: parts[1], record: record, key: W.newKey() })).networkRequest;
        messages[section.institutionCode] = "Requested “" + (step.title || record) + "”: pick it up at " +
          [step.pickupLibraryName, W.memberName(step.pickupInstitution)].filter(Boolean).join(", ") +
          ". You will be told when it is on the hold shelf.";
      } catch (e) {
        messages[section.institutionCode] = e.message;
      }
      await load();
    });
    return form;
  }

  async function memberBlock(section, isHome) {
    var box = el("div", { class: "member", "data-member": section.institutionCode, "data-access": section.access },
      el("h3", null, section.institutionName));
    box.appendChild(count(section));
    if (section.access === "AVAILABILITY_ONLY") {
      box.appendChild(el("p", { class: "hint" }, section.resourceSharing
        ? "Ask your library for it through resource sharing (below)."
        : "Ask for it through your library’s resource sharing request."));
    } else {
      if (section.holdings && section.holdings.length) box.appendChild(holdings(section));
      if (section.registerOption && viewer === "PATRON") {
        var b = el("button", { type: "button", class: "register" }, "Register at " + section.institutionName);
        b.addEventListener("click", async function () {
          try {
            await W.gql(REGISTER, { member: section.institutionCode, ids: [record] });
            messages[section.institutionCode] = "You are registered at " + section.institutionName + ".";
          } catch (e) {
            messages[section.institutionCode] = e.message;
          }
          await load(section.institutionCode);
        });
        box.appendChild(el("p", { class: "hint" }, "Register to see the terms of use and to request."));
        box.appendChild(b);
      }
      if (section.requestable && viewer === "PATRON" && !isHome) box.appendChild(await requestForm(section));
    }
    if (messages[section.institutionCode]) {
      box.appendChild(el("p", { class: "outcome", role: "status" }, messages[section.institutionCode]));
    }
    return box;
  }

  // Resource sharing (DOMAIN §5, §8): where the patron's home shows another member as
  // availability only, the patron asks their own library, which borrows it from a partner
  // (requestResourceSharing; the home's staff send it on). One form for the record, not one
  // per member: the request goes to the home, which picks the lender.
  async function resourceSharing(homeCode) {
    var body = $("rs-section").querySelector(".body");
    body.textContent = "";
    if (messages.rs) {
      body.appendChild(el("p", { class: "outcome", role: "status" }, messages.rs));
      return;
    }
    var libraries = [];
    try {
      libraries = (await W.gql(PICKUP, { member: homeCode })).pickupLibraries;
    } catch (e) {
      body.appendChild(el("p", { class: "error" }, e.message));
      return;
    }
    var select = el("select", { id: "rs-pickup", name: "pickup" });
    libraries.forEach(function (l) { select.appendChild(el("option", { value: l.code }, l.name)); });
    var button = el("button", { type: "submit" }, "Ask your library for it");
    var form = el("form", { class: "resource-sharing", "aria-label": "Ask your library for it" },
      el("label", { for: "rs-pickup" }, "Pick it up at"), select, button);
    var failed = el("p", { class: "outcome", role: "status", hidden: "" });
    // One key per request: pressing again after a failure (the answer lost, say) is answered
    // with the same request; another pickup place is another request.
    var key = W.newKey();
    select.addEventListener("change", function () { key = W.newKey(); });
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      button.disabled = true;
      try {
        var made = (await W.gql(ASK_HOME, { input: { recordId: record, pickupLibraryCode: select.value }, key: key })).requestResourceSharing;
        messages.rs = "Your library has your request for “" + made.title + "”: it will ask another library for it. " +
          "Pick it up at " + (made.pickupLibraryName || select.options[select.selectedIndex].text) +
          " when you are told it has arrived.";
        await resourceSharing(homeCode);
        var outcome = body.querySelector(".outcome");
        outcome.setAttribute("tabindex", "-1");
        outcome.focus();
      } catch (e) {
        failed.textContent = e.message;
        failed.hidden = false;
        button.disabled = false;
      }
      W.reportHeight();
    });
    body.appendChild(form);
    body.appendChild(failed);
  }

  async function load(focusMember) {
    try {
      var answer = (await W.gql(GET_IT, { ids: [record], home: viewer === "PATRON" ? null : home })).getIt;
    } catch (e) {
      $("getit-status").textContent = "";
      $("getit-error").textContent = e.message;
      $("getit-error").hidden = false;
      W.reportHeight();
      return;
    }
    var rec = answer.records[0];
    $("getit-status").textContent = answer.unavailable.length
      ? "Not shown: " + answer.unavailable.map(function (u) { return u.institutionName; }).join(", ") + " (did not answer)."
      : "";
    var homeBody = $("home-section").querySelector(".body");
    homeBody.textContent = "";
    if (rec.home) {
      $("home-heading").textContent = "At your library: " + rec.home.institutionName;
      homeBody.appendChild(await memberBlock(rec.home, true));
    }
    $("home-section").hidden = !rec.home;
    var others = $("others-section").querySelector(".body");
    var frag = document.createDocumentFragment();
    for (var i = 0; i < rec.others.length; i++) frag.appendChild(await memberBlock(rec.others[i], false));
    others.textContent = "";
    others.appendChild(frag);
    $("others-section").hidden = rec.others.length === 0;
    // Get It marks the members to ask for through the home (resourceSharing).
    var askHome = viewer === "PATRON" && answer.homeInstitution && rec.others.some(function (o) {
      return o.resourceSharing && o.found;
    });
    if (askHome) await resourceSharing(answer.homeInstitution);
    $("rs-section").hidden = !askHome;
    if (focusMember) {
      var target = others.querySelector('[data-member="' + focusMember + '"] select, [data-member="' + focusMember + '"] .outcome');
      if (target) { target.setAttribute("tabindex", target.tagName === "P" ? "-1" : null); target.focus(); }
    }
    W.reportHeight();
  }

  W.tokenReady.then(function (token) {
    viewer = token ? "PATRON" : "ANONYMOUS";
    if (!token && !home) {
      $("getit-status").textContent = "";
      $("getit-error").textContent = "This widget needs the home institution (home=…) or a signed-in patron.";
      $("getit-error").hidden = false;
      return;
    }
    load();
  });
})();
