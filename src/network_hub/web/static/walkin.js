// Walk-in registration (DOMAIN §6): find a visiting patron of another member (home id and
// last name, matched at their home) through the network and register them here (walkInRegister), then loan at this desk with the ordinary
// staff API of the operator's own institution.
(function () {
  "use strict";
  var el = LFN.el, me = LFN.operator.institution;
  var $ = function (id) { return document.getElementById(id); };
  var REGISTER = "mutation WalkIn($home: String!, $user: String!, $last: String!, $desk: String!, $key: String!) {" +
    " walkInRegister(homeInstitution: $home, homeUserId: $user, lastName: $last, deskCode: $desk, idempotencyKey: $key) {" +
    " institutionCode localPrimaryId homeInstitution homeUserId firstName lastName email userGroup expiryDate } }";
  var LOAN = "mutation WalkInLoan($desk: String!, $patron: String!, $barcode: String!) {" +
    " loan(desk: $desk, patron: $patron, barcode: $barcode) { title dueAt } }";
  var account = null;

  function say(id, text, failed) {
    $(id).textContent = "";
    $(id).appendChild(el("p", { class: failed ? "error" : "ok" }, text));
  }

  LFN.members.filter(function (m) { return m.code !== me; }).forEach(function (m) {
    $("home").appendChild(el("option", { value: m.code }, m.name));
  });
  $("walk-in-desk").value = localStorage.getItem("lfn-desk") || "";

  $("find-patron").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    $("loan-form").hidden = true;
    $("loan-result").textContent = "";
    try {
      var desk = $("walk-in-desk").value.trim();
      localStorage.setItem("lfn-desk", desk);
      var a = (await LFN.hub(REGISTER, { home: $("home").value, user: $("home-id").value.trim(), last: $("home-last-name").value.trim(), desk: desk, key: LFN.newKey() })).walkInRegister;
      account = a;
      var name = a.firstName + " " + a.lastName;
      say("register-result", "Registered " + name + " of " + LFN.memberName(a.homeInstitution) +
        " here as " + a.localPrimaryId + (a.expiryDate ? " (until " + LFN.day(a.expiryDate) + ")" : "") + ".");
      $("walk-in-name").textContent = name;
      $("loan-form").hidden = false;
      $("walk-in-barcode").focus();
    } catch (e) {
      account = null;
      say("register-result", e.message, true);
    }
  });

  $("loan-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    if (!account) return;
    var desk = $("walk-in-desk").value.trim();
    localStorage.setItem("lfn-desk", desk);
    try {
      var loan = (await LFN.member(LOAN, { desk: desk, patron: account.localPrimaryId, barcode: $("walk-in-barcode").value.trim() })).loan;
      say("loan-result", "Loaned “" + loan.title + "” to " + $("walk-in-name").textContent + ", due " + LFN.day(loan.dueAt) + ".");
    } catch (e) {
      say("loan-result", e.message, true);
    }
    $("walk-in-barcode").value = "";
    $("walk-in-barcode").focus();
  });
  ($("walk-in-desk").value ? $("home-id") : $("walk-in-desk")).focus();
})();
