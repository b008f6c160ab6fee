// The demo discovery page: choose a viewer, get a patron token for a sample patron (as a
// discovery UI does after its own login), and mount the hub's widgets with it.
(function () {
  "use strict";
  var select = document.getElementById("viewer");
  async function show() {
    var value = select.value, token = null, home;
    if (value.indexOf("anon:") === 0) {
      home = value.slice(5);
      document.getElementById("who").textContent = "Anonymous visitor of " + select.selectedOptions[0].text.replace(/^Not signed in, at /, "");
    } else {
      var parts = value.split(":");
      home = parts[0];
      var r = await fetch("/patron-token", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ home: parts[0], primaryId: parts.slice(1).join(":") }) });
      token = (await r.json()).token;
      document.getElementById("who").textContent = "Signed in: " + select.selectedOptions[0].text;
    }
    document.querySelectorAll(".getit").forEach(function (node) {
      node.setAttribute("data-lfn-getit", node.dataset.record);
      node.setAttribute("data-home", home);
    });
    var area = document.getElementById("account-area");
    area.hidden = !token;
    var account = document.getElementById("account");
    if (token) account.setAttribute("data-lfn-account", ""); else { account.removeAttribute("data-lfn-account"); account.textContent = ""; }
    LFNGetIt.mount({ token: token });
  }
  select.addEventListener("change", show);
  show();
})();
