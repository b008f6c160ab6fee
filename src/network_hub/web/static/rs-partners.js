// Partners and rotas (DOMAIN §8): the operator's own node's partner directory and rotas,
// through the console's member gateway. Everyone with a resource sharing role reads them;
// the node refuses changes from anyone but an institution-wide manager, and the page shows
// its sentence. An outside partner's inbound secret is shown once, when it is made.
(function () {
  "use strict";
  var el = LFN.el;
  var $ = function (id) { return document.getElementById(id); };
  var PARTNER = "code name origin protocol agencyValue endpointUrl authKind active";
  var READ = "query ConsolePartners { libraries { code name } resourceSharingPartners { " + PARTNER + " }" +
    " rotas { code name isDefault partnerCodes } }";
  var CREATE = "mutation ConsoleAddPartner($input: PartnerInput!) { createPartner(input: $input) { partner { " +
    PARTNER + " } inboundSecret } }";
  var ACTIVE = {
    true: "mutation ConsoleActivate($code: String!) { partner: activatePartner(code: $code) { " + PARTNER + " } }",
    false: "mutation ConsoleDeactivate($code: String!) { partner: deactivatePartner(code: $code) { " + PARTNER + " } }",
  };
  var ROTATE = "mutation ConsoleRotate($code: String!) { secret: rotatePartnerSecret(code: $code) }";
  var SAVE_ROTA = "mutation ConsoleSaveRota($input: RotaInput!) { rota: saveRota(input: $input) { code name isDefault partnerCodes } }";
  var DELETE_ROTA = "mutation ConsoleDeleteRota($code: String!) { deleted: deleteRota(code: $code) }";
  var state = { partners: [], rotas: [] };

  function say(text, failed, secret) {
    var box = $("outcome");
    box.textContent = "";
    var p = el("p", { class: failed ? "error" : null, tabindex: "-1", id: "said" }, text);
    if (secret) {
      p.appendChild(document.createTextNode(" "));
      p.appendChild(el("code", { id: "secret" }, secret));
    }
    box.appendChild(p);
    p.focus();
  }

  async function act(doc, variables, done) {
    try {
      var data = await LFN.member(doc, variables);
    } catch (e) {
      say(e.message, true);
      return null;
    }
    await load();
    done(data);
    return data;
  }

  async function load() {
    try {
      var data = await LFN.member(READ, {});
    } catch (e) {
      $("refusal").textContent = e.message;
      $("refusal").hidden = false;
      return;
    }
    $("refusal").hidden = true;
    state.partners = data.resourceSharingPartners;
    state.rotas = data.rotas;
    var library = $("partner-library");
    if (library.options.length === 1) {
      data.libraries.forEach(function (l) { library.appendChild(el("option", { value: l.code }, l.name)); });
    }
    renderPartners();
    renderRotas();
  }

  function renderPartners() {
    var body = $("partners").tBodies[0];
    body.textContent = "";
    state.partners.forEach(function (p) {
      var change = el("td", null,
        el("button", { type: "button", class: "secondary", "data-active": String(!p.active), "data-code": p.code },
          (p.active ? "Deactivate " : "Activate ") + p.code));
      if (p.origin === "LOCAL" && p.authKind === "SHARED_SECRET") {
        change.appendChild(document.createTextNode(" "));
        change.appendChild(el("button", { type: "button", class: "secondary", "data-rotate": p.code }, "New secret for " + p.code));
      }
      body.appendChild(el("tr", { "data-code": p.code },
        el("td", null, p.code), el("td", null, p.name),
        el("td", null, p.origin === "NETWORK" ? "Network member" : "Added here"),
        el("td", null, p.protocol === "NCIP" ? "NCIP" : "ISO 18626"),
        el("td", null, p.endpointUrl || ""), el("td", null, p.active ? "Yes" : "No"), change));
    });
    $("partners-caption").textContent = "Partners: " + state.partners.length + ", network members first";
    $("rota-known").textContent = "Partners: " + state.partners.filter(function (p) { return p.active; })
      .map(function (p) { return p.code + " (" + p.name + ")"; }).join(", ") + ".";
  }

  function renderRotas() {
    var body = $("rotas").tBodies[0];
    body.textContent = "";
    state.rotas.forEach(function (r) {
      body.appendChild(el("tr", { "data-code": r.code },
        el("td", null, r.code), el("td", null, r.name), el("td", null, r.partnerCodes.join(", ")),
        el("td", null, r.isDefault ? "Yes" : ""),
        el("td", null, el("button", { type: "button", class: "secondary", "data-delete": r.code }, "Remove " + r.code))));
    });
    $("rotas-caption").textContent = state.rotas.length ? "Rotas: " + state.rotas.length : "No rotas yet: requests ask the network members in turn";
  }

  $("partners").addEventListener("click", function (ev) {
    var toggle = ev.target.closest("button[data-active]");
    if (toggle) {
      var code = toggle.dataset.code, on = toggle.dataset.active === "true";
      act(ACTIVE[on], { code: code }, function () {
        say((on ? "Activated " : "Deactivated ") + code + (on ? "." : ": it is asked nothing from now on."));
      });
      return;
    }
    var rotate = ev.target.closest("button[data-rotate]");
    if (rotate) {
      var which = rotate.dataset.rotate;
      act(ROTATE, { code: which }, function (data) {
        say("The new secret for " + which + ", shown this once; the old one no longer works:", false, data.secret);
      });
    }
  });

  $("rotas").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-delete]");
    if (!b) return;
    var code = b.dataset.delete;
    act(DELETE_ROTA, { code: code }, function () { say("Removed the rota " + code + "."); });
  });

  function missing(form, names) {
    var gaps = names.filter(function (n) { return !form.elements[n].value.trim(); })
      .map(function (n) { return form.querySelector('label[for="' + form.elements[n].id + '"]').textContent.toLowerCase(); });
    if (gaps.length) say("Give the " + gaps.join(" and ") + " first.", true);
    return gaps.length > 0;
  }

  $("partner-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    if (missing(f, ["code", "name"])) return;
    var input = { code: f.elements.code.value.trim(), name: f.elements.name.value.trim(), protocol: f.elements.protocol.value };
    ["endpointUrl", "agencyValue", "outboundSecret", "lendingLibraryCode"].forEach(function (n) {
      var v = f.elements[n].value.trim();
      if (v) input[n] = v;
    });
    act(CREATE, { input: input }, function (data) {
      f.reset();
      say("Added " + data.createPartner.partner.code + ". Give the partner its secret, shown this once:", false,
        data.createPartner.inboundSecret);
    });
  });

  $("rota-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target;
    if (missing(f, ["code", "name", "partners"])) return;
    var codes = f.elements.partners.value.split(",").map(function (c) { return c.trim(); }).filter(Boolean);
    act(SAVE_ROTA, { input: { code: f.elements.code.value.trim(), name: f.elements.name.value.trim(),
      partnerCodes: codes, isDefault: f.elements.isDefault.checked } }, function (data) {
      f.reset();
      say("Saved the rota " + data.rota.code + ": " + data.rota.partnerCodes.join(", ") + (data.rota.isDefault ? " (the default)." : "."));
    });
  });

  load();
})();
