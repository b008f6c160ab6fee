// My network account: the signed-in patron's own loans, requests and fees at the other members
// (each row naming its institution), from the hub's myNetworkAccount with the patron's token,
// their resource sharing requests at home (myResourceSharingRequests: what their own library
// borrows for them from partners), and their privacy ledger (privacyLedger): who saw their
// information, when and why.
(function () {
  "use strict";
  var W = LFNW, el = W.el;
  var $ = function (id) { return document.getElementById(id); };
  var QUERY = "query MyAccount { myNetworkAccount {" +
    " loans { institutionName title barcode loanDate dueDate renewals loanLocation }" +
    " requests { institutionName title status pickupInstitution pickupLocation placedDate holdShelfExpiry }" +
    " fees { institutionName type balance currency owner } feeBalances { amount currency }" +
    " unavailable { institutionName message } } }";
  var BORROWED = "query MyResourceSharing { myResourceSharingRequests { title status pickupLibraryCode pickupLibraryName neededBy } }";
  var RS_STATUS = { READY_TO_SEND: "your library is asking", REQUEST_SENT: "asked of another library",
    WILL_SUPPLY: "another library will send it", CONDITIONAL: "your library is checking the conditions",
    CANCEL_REQUESTED: "being cancelled", SHIPPED: "on its way", RECEIVED: "arrived: ready to pick up",
    LOANED_TO_PATRON: "on loan to you", RENEW_REQUESTED: "renewal asked", RENEWED_BY_PARTNER: "renewed",
    RENEWAL_REJECTED: "renewal refused", RETURNED_BY_PATRON: "returned", RETURNED_TO_PARTNER: "returned",
    COMPLETED: "done", CANCELLED: "cancelled", END_OF_ROTA: "no library could lend it",
    REPORTED_LOST: "reported lost", DECLARED_LOST_BY_PARTNER: "declared lost" };
  var LEDGER = "query MyLedger { privacyLedger(first: 20) {" +
    " at kind actorKind actorInstitution actorId fromMember toMember fields purpose outcome } }";
  var KIND = { LINKED_ACCOUNT: "Account there made or updated", GETIT_REGISTRATION: "You registered",
    WALK_IN_LOOKUP: "Looked up at a desk", NETWORK_ACTIVITY: "Your activity there viewed" };
  var FIELD = { firstName: "first name", lastName: "last name", email: "e-mail", userGroup: "user group",
    expiryDate: "expiry", loans: "loans", requests: "requests", fees: "fees" };
  var STATUS = { PLACED: "placed", PICK_FROM_SHELF: "being picked from the shelf", IN_TRANSIT: "on its way", ON_HOLD_SHELF: "ready to pick up" };
  var today = new Date().toISOString().slice(0, 10);

  function table(caption, head, rows) {
    var t = el("table", null, el("caption", null, caption));
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(el("thead", null, tr));
    var body = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) { row.appendChild(el("td", null, c)); });
      body.appendChild(row);
    });
    t.appendChild(body);
    return t;
  }

  function fill(id, node, empty) {
    var section = $(id), body = section.querySelector(".body");
    body.textContent = "";
    body.appendChild(node || el("p", null, empty));
    section.hidden = false;
  }

  W.tokenReady.then(async function (token) {
    if (!token) {
      $("account-status").textContent = "";
      $("account-error").textContent = "Sign in at your library to see your network account.";
      $("account-error").hidden = false;
      W.reportHeight();
      return;
    }
    try {
      var a = (await W.gql(QUERY)).myNetworkAccount;
    } catch (e) {
      $("account-status").textContent = "";
      $("account-error").textContent = e.message;
      $("account-error").hidden = false;
      W.reportHeight();
      return;
    }
    $("account-status").textContent = "Your loans, requests and fees at the other libraries of the network.";
    if (a.unavailable.length) {
      $("account-notice").textContent = "Not shown: " + a.unavailable.map(function (u) { return u.institutionName; }).join(", ") + " did not answer.";
      $("account-notice").hidden = false;
    }
    fill("loans-section", a.loans.length ? table("Loans (" + a.loans.length + ")", ["Library", "Title", "Due", "Renewals"],
      a.loans.map(function (l) { return [l.institutionName, l.title, W.day(l.dueDate) + (W.day(l.dueDate) < today ? " (overdue)" : ""), String(l.renewals)]; })) : null,
      "No loans at other libraries.");
    fill("requests-section", a.requests.length ? table("Requests (" + a.requests.length + ")", ["Library", "Title", "Status", "Pick up at", "Waiting until"],
      a.requests.map(function (r) { return [r.institutionName, r.title, STATUS[r.status] || r.status,
        [r.pickupLocation, W.memberName(r.pickupInstitution)].filter(Boolean).join(", "), W.day(r.holdShelfExpiry)]; })) : null,
      "No requests at other libraries.");
    fill("fees-section", a.fees.length ? table("Open fines and fees: " + a.feeBalances.map(function (b) { return b.amount + " " + b.currency; }).join(" + "),
      ["Library", "Type", "Owed to", "Balance"],
      a.fees.map(function (f) { return [f.institutionName, f.type, f.owner, f.balance + " " + f.currency]; })) : null,
      "No open fines or fees at other libraries.");
    W.reportHeight();
    try {
      var borrowed = (await W.gql(BORROWED)).myResourceSharingRequests;
      fill("rs-section", borrowed.length ? table("Resource sharing requests (" + borrowed.length + ")",
        ["Title", "Status", "Pick up at", "Needed by"],
        borrowed.map(function (r) { return [r.title, RS_STATUS[r.status] || r.status, r.pickupLibraryName || r.pickupLibraryCode, W.day(r.neededBy)]; })) : null,
        "Your library is not borrowing anything for you.");
    } catch (e) {
      fill("rs-section", el("p", { class: "error" }, e.message));
    }
    W.reportHeight();
    try {
      var entries = (await W.gql(LEDGER)).privacyLedger;
    } catch (e) {
      fill("ledger-section", el("p", { class: "error" }, e.message));
      W.reportHeight();
      return;
    }
    fill("ledger-section", entries.length ? table("Your information between libraries (latest " + entries.length + ")",
      ["When", "What", "Library", "By", "Information", "Why"],
      entries.map(function (x) {
        var library = x.kind === "NETWORK_ACTIVITY" ? x.fromMember : x.toMember;
        var by = x.actorKind === "PATRON" ? "You" : "Staff of " + W.memberName(x.actorInstitution) + " (" + x.actorId + ")";
        var what = x.fields.length ? x.fields.map(function (f) { return FIELD[f] || f; }).join(", ") :
          (x.outcome === "REFUSED" ? "nothing (refused)" : "nothing (no match)");
        return [W.day(x.at) + " " + String(x.at).slice(11, 16), KIND[x.kind] || x.kind, W.memberName(library), by, what, x.purpose];
      })) : null,
      "Your information has not been passed to another library.");
    W.reportHeight();
  });
})();
