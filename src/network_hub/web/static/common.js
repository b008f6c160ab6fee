// The staff console's small shared helpers. Every call goes to the hub's public API through
// the console gateway (/staff/api/...), which adds the session's token; the page never holds it.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var operator = JSON.parse(document.getElementById("operator").textContent);
  var members = JSON.parse(document.getElementById("members").textContent);

  var SENTENCES = {
    UNAUTHENTICATED: "Your session has ended. Sign in again.",
    MEMBER_TIMEOUT: "An institution did not answer in time. Try again in a moment.",
    MEMBER_UNAVAILABLE: "An institution cannot be reached right now. Try again later.",
    INTERNAL: "Something went wrong on the server. Try again; if it keeps happening, tell IT.",
  };

  function sentence(text) {
    text = String(text || "").trim();
    if (!text) return "";
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  function refusal(error) {
    var code = (error.extensions || {}).code || "";
    if (code === "UNAUTHENTICATED") return SENTENCES.UNAUTHENTICATED;
    if (code === "INTERNAL") return SENTENCES.INTERNAL;
    return sentence(error.message) || SENTENCES[code] || "The request was refused.";
  }

  class ApiError extends Error {
    constructor(errors) {
      super(errors.map(refusal).join(" "));
      this.codes = errors.map(function (e) { return (e.extensions || {}).code || ""; });
    }
  }

  async function post(url, query, variables) {
    var response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ query: query, variables: variables || {} }),
      });
    } catch (e) {
      throw new ApiError([{ message: "The hub cannot be reached. Check the network and try again" }]);
    }
    var body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (body.errors && body.errors.length) {
      var err = new ApiError(body.errors);
      if (err.codes.indexOf("UNAUTHENTICATED") >= 0) showEnded();
      throw err;
    }
    if (!response.ok || !body.data) throw new ApiError([{ message: "The hub could not answer" }]);
    return body.data;
  }

  function showEnded() {
    var main = document.getElementById("main");
    if (document.getElementById("session-ended")) return;
    var p = el("p", { id: "session-ended", class: "error", role: "alert" },
      "Your session has ended. ", el("a", { href: "/staff/sign-in?notice=ended" }, "Sign in again"), ".");
    main.insertBefore(p, main.firstChild);
  }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function day(iso) { return iso ? String(iso).slice(0, 10) : ""; }

  function memberName(code) {
    for (var i = 0; i < members.length; i++) if (members[i].code === code) return members[i].name;
    return code || "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  window.LFN = {
    operator: operator,
    members: members,
    hub: function (q, v) { return post("/staff/api/graphql", q, v); },
    member: function (q, v) { return post("/staff/api/member/graphql", q, v); },
    el: el, day: day, sentence: sentence, memberName: memberName, newKey: newKey,
  };
})();
