// Shared by the embeddable pages (Get It, My network account). They run in a frame of the
// discovery front end and call the hub's /graphql with the patron's token, which the embedding
// page hands over by postMessage (never in the URL). No token: the anonymous view.
(function () {
  "use strict";
  var members = JSON.parse(document.getElementById("members").textContent);
  var params = new URLSearchParams(location.search);
  var token = null;

  function sentence(text) {
    text = String(text || "").trim();
    if (!text) return "";
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  async function gql(query, variables) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    var response;
    try {
      response = await fetch("/graphql", { method: "POST", headers: headers, credentials: "omit",
        body: JSON.stringify({ query: query, variables: variables || {} }) });
    } catch (e) {
      throw new Error("The network hub cannot be reached. Try again later.");
    }
    var body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (body.errors && body.errors.length) {
      var err = new Error(body.errors.map(function (e) {
        var code = (e.extensions || {}).code;
        if (code === "UNAUTHENTICATED") return "Your sign-in has ended. Sign in again.";
        return sentence(e.message) || "The request was refused.";
      }).join(" "));
      err.codes = body.errors.map(function (e) { return (e.extensions || {}).code; });
      throw err;
    }
    if (!body.data) throw new Error("The network hub could not answer.");
    return body.data;
  }

  var lastHeight = 0;
  function reportHeight() {
    if (window.parent === window) return;
    // The content's own height (not the frame's, which would grow with every report).
    var main = document.getElementById("main");
    var height = Math.ceil(main.getBoundingClientRect().height) + 16;
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: "lfn:height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.getElementById("main"));

  // Resolves with the token (or null for an anonymous viewer).
  var tokenReady = new Promise(function (resolve) {
    if (params.get("auth") !== "1") { resolve(null); return; }
    window.addEventListener("message", function (ev) {
      if (ev.source !== window.parent || !ev.data || ev.data.type !== "lfn:token") return;
      token = typeof ev.data.token === "string" && ev.data.token ? ev.data.token : null;
      resolve(token);
    });
    window.parent.postMessage({ type: "lfn:ready" }, "*");
  });

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

  window.LFNW = {
    gql: gql, tokenReady: tokenReady, el: el, sentence: sentence, reportHeight: reportHeight,
    day: function (iso) { return iso ? String(iso).slice(0, 10) : ""; },
    memberName: function (code) {
      for (var i = 0; i < members.length; i++) if (members[i].code === code) return members[i].name;
      return code || "";
    },
    newKey: function () {
      return window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random();
    },
  };
})();
