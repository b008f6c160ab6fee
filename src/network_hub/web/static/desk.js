// The pickup desk (DOMAIN §6): scan in, loan and return with the item's owner selected. The
// barcode field keeps the focus, so a scanner (a keyboard that types and presses Enter) works.
// Another member's item goes through the hub (receiveForOwner / loanForOwner / returnForOwner);
// the desk's own items through its own institution's staff API.
(function () {
  "use strict";
  var el = LFN.el, day = LFN.day, me = LFN.operator.institution;
  var $ = function (id) { return document.getElementById(id); };
  var STEP = "ownerInstitution barcode title requestId requestStatus pickupInstitution pickupLibraryName " +
    "holdShelfExpiry loanStatus loanInstitution dueDate nextStep destinationInstitution " +
    "destinationLibraryCode destinationLibraryName patronName homeInstitution homeUserId";
  var HUB = {
    scan: "mutation DeskReceive($owner: String!, $barcode: String!, $desk: String!, $key: String!) {" +
      " step: receiveForOwner(owner: $owner, barcode: $barcode, deskCode: $desk, idempotencyKey: $key) { " + STEP + " } }",
    loan: "mutation DeskLoan($owner: String!, $barcode: String!, $desk: String!, $home: String!, $user: String!, $key: String!) {" +
      " step: loanForOwner(owner: $owner, barcode: $barcode, deskCode: $desk, homeInstitution: $home, homeUserId: $user, idempotencyKey: $key) { " + STEP + " } }",
    "return": "mutation DeskReturn($owner: String!, $barcode: String!, $desk: String!, $key: String!) {" +
      " step: returnForOwner(owner: $owner, barcode: $barcode, deskCode: $desk, idempotencyKey: $key) { " + STEP + " } }",
  };
  var LOCAL = {
    scan: "mutation DeskScanIn($barcode: String!, $desk: String!) { scanIn(barcode: $barcode, deskCode: $desk) {" +
      " nextStep destinationLibraryName destinationInstitution request { title patronName pickupLibraryName pickupInstitution holdShelfExpiry } } }",
    loan: "mutation DeskLocalLoan($barcode: String!, $desk: String!, $patron: String!) { loan(desk: $desk, patron: $patron, barcode: $barcode) { title dueAt patronPrimaryId } }",
    "return": "mutation DeskLocalReturn($barcode: String!, $desk: String!) { return(desk: $desk, barcode: $barcode) { nextStep destinationLibraryName loan { title } } }",
  };

  function place(inst, lib) {
    var name = inst ? LFN.memberName(inst) : "";
    return [lib, name].filter(Boolean).join(", ");
  }

  function where(next, inst, lib, title, holdUntil, patron) {
    var what = title ? "“" + title + "”" : "The item";
    if (next === "HOLD_SHELF") {
      return "Put " + what + " on the hold shelf" + (lib ? " at " + lib : "") +
        (patron ? " for " + patron : "") + (holdUntil ? ", until " + day(holdUntil) : "") + ". The patron is told.";
    }
    if (next === "TRANSIT") return "Send " + what + " in transit to " + (place(inst, lib) || "its home library") + ".";
    if (next === "RESHELVE") return "Put " + what + " back on the shelf" + (lib ? " at " + lib : "") + ".";
    return "";
  }

  function hubSentence(step, s) {
    var owner = LFN.memberName(s.ownerInstitution);
    if (step === "loan") {
      return "Loaned “" + (s.title || s.barcode) + "” to " + (s.patronName || s.homeUserId) +
        ", due " + day(s.dueDate) + ". The loan is " + owner + "’s: renewals and fees go through " + owner + ".";
    }
    var lead = step === "return" ? "Returned for " + owner + ". " : "";
    var lib = s.destinationLibraryName || (s.nextStep === "HOLD_SHELF" ? s.pickupLibraryName : null);
    return lead + where(s.nextStep, s.destinationInstitution, lib, s.title,
      s.holdShelfExpiry, s.patronName);
  }

  function localSentence(step, data) {
    if (step === "scan") {
      var r = data.scanIn, req = r.request || {};
      return where(r.nextStep, r.destinationInstitution || me, r.destinationLibraryName, req.title,
        req.holdShelfExpiry, req.patronName);
    }
    if (step === "loan") return "Loaned “" + data.loan.title + "” to " + data.loan.patronPrimaryId + ", due " + day(data.loan.dueAt) + ".";
    var ret = data["return"];
    return "Returned. " + where(ret.nextStep, me, ret.destinationLibraryName, ret.loan.title);
  }

  function step() { return document.querySelector('input[name="step"]:checked').value; }

  function show(text, failed) {
    var p = el("p", { class: failed ? "error" : null }, text);
    $("result").textContent = "";
    $("result").appendChild(p);
    $("log").insertBefore(el("li", null, new Date().toLocaleTimeString() + " — " + text), $("log").firstChild);
  }

  async function run(ev) {
    ev.preventDefault();
    var barcode = $("barcode").value.trim();
    var desk = $("desk-code").value.trim();
    if (!barcode || !desk) return;
    localStorage.setItem("lfn-desk", desk);
    var owner = $("owner").value, s = step();
    try {
      if (s === "loan" && !$("patron").value.trim()) throw new Error("Give the patron’s ID to loan the item.");
      var text;
      if (owner === me) {
        var patronId = $("patron").value.trim(), home = $("patron-home").value;
        var vars = { barcode: barcode, desk: desk };
        if (s === "loan") vars.patron = home === me ? patronId : home + ":" + patronId;
        text = localSentence(s, await LFN.member(LOCAL[s], vars));
      } else {
        var v = { owner: owner, barcode: barcode, desk: desk, key: LFN.newKey() };
        if (s === "loan") { v.home = $("patron-home").value; v.user = $("patron").value.trim(); }
        text = hubSentence(s, (await LFN.hub(HUB[s], v)).step);
      }
      show(text, false);
    } catch (e) {
      show(e.message, true);
    }
    $("barcode").value = "";
    $("barcode").focus();
  }

  var owners = [{ code: me, name: LFN.operator.institutionName + " (your institution)" }]
    .concat(LFN.members.filter(function (m) { return m.code !== me; }));
  owners.forEach(function (m) { $("owner").appendChild(el("option", { value: m.code }, m.name)); });
  LFN.members.forEach(function (m) {
    $("patron-home").appendChild(el("option", { value: m.code, selected: m.code === me }, m.name));
  });
  $("desk-code").value = localStorage.getItem("lfn-desk") || "";
  document.querySelectorAll('input[name="step"]').forEach(function (r) {
    r.addEventListener("change", function () { $("patron-fields").hidden = step() !== "loan"; });
  });
  $("desk-form").addEventListener("submit", run);
  (($("desk-code").value ? $("barcode") : $("desk-code"))).focus();
})();
