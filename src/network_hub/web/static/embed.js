// Embedding the Get It widget and the network account in a discovery front end:
//   <div data-lfn-getit="nr-00011" data-home="SOUTHC"></div>   <div data-lfn-account></div>
//   <script src="https://HUB/static/web/embed.js"></script>
//   <script>LFNGetIt.mount({ token: patronTokenOrNull });</script>
// Each becomes a frame of the hub; the patron's token goes to the frame by postMessage (only to
// the hub's origin), never in a URL. Frames grow to their content.
(function () {
  "use strict";
  var script = document.currentScript;
  var hub = new URL(script ? script.src : location.href).origin;

  function frame(node, path, title, token) {
    var params = new URLSearchParams(path.params);
    if (token) params.set("auth", "1");
    var iframe = document.createElement("iframe");
    iframe.src = hub + path.path + "?" + params;
    iframe.title = title;
    iframe.style.cssText = "width:100%;border:0;min-height:6rem";
    window.addEventListener("message", function (ev) {
      if (ev.origin !== hub || ev.source !== iframe.contentWindow || !ev.data) return;
      if (ev.data.type === "lfn:ready" && token) {
        iframe.contentWindow.postMessage({ type: "lfn:token", token: token }, hub);
      } else if (ev.data.type === "lfn:height") {
        iframe.style.height = Math.ceil(ev.data.height) + "px";
      }
    });
    node.textContent = "";
    node.appendChild(iframe);
    return iframe;
  }

  window.LFNGetIt = {
    hub: hub,
    mount: function (options) {
      var token = (options || {}).token || null;
      var root = (options || {}).root || document;
      root.querySelectorAll("[data-lfn-getit]").forEach(function (node) {
        frame(node, { path: "/widget/getit", params: { record: node.dataset.lfnGetit, home: node.dataset.home || "" } },
          "Get It: " + (node.dataset.title || node.dataset.lfnGetit), token);
      });
      root.querySelectorAll("[data-lfn-account]").forEach(function (node) {
        frame(node, { path: "/widget/account", params: {} }, "My network account", token);
      });
    },
  };
})();
