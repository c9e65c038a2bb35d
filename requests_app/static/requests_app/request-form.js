// The request form: show only the request types the law of the chosen place gives, the
// appeal's reference only for an appeal, and, where the browser sent Global Privacy Control,
// choose the opt-out for a place whose law gives it.
// The map comes from the page (json_script); the server checks the same rule, so the form
// works without this file and nothing here is trusted.
(function () {
  "use strict";
  var data = document.getElementById("request-types-by-region");
  var region = document.getElementById("id_region");
  var note = document.getElementById("request-types-note");
  var appealField = document.getElementById("appeal-of-field");
  var portabilityField = document.getElementById("portability-field");
  var gpc = document.getElementById("gpc-notice");
  if (!data || !region) {
    return;
  }
  var byRegion = JSON.parse(data.textContent);
  var radios = document.querySelectorAll('input[type="radio"][name="request_type"]');
  // Whether the opt-out now checked was chosen by this script, not by the person: only then
  // may another place's choice change it.
  var chosenForThem = false;

  function checkedRadio() {
    var found = null;
    radios.forEach(function (radio) {
      if (radio.checked) {
        found = radio;
      }
    });
    return found;
  }

  // The reference field belongs to an appeal, the machine-readable copy to access; for any
  // other request the server ignores them. A hidden box keeps its tick out of the way but
  // is not cleared: the server reads it only for access.
  function showAppealField() {
    var chosen = checkedRadio();
    if (appealField) {
      appealField.hidden = !(chosen && chosen.value === "appeal");
    }
    if (portabilityField) {
      portabilityField.hidden = !!chosen && chosen.value !== "access";
    }
  }

  // Global Privacy Control is a request to opt out (CCPA regulations §7025; Colorado
  // 4 CCR 904-3 Part 5): the opt-out is chosen where the law gives it, unless the person
  // chose something themselves.
  function preselectOptOut(offered) {
    if (!gpc || !offered || offered.indexOf("opt_out") === -1) {
      return;
    }
    var chosen = checkedRadio();
    if (chosen && !chosenForThem) {
      return;
    }
    radios.forEach(function (radio) {
      if (radio.value === "opt_out") {
        radio.checked = true;
        chosenForThem = true;
      }
    });
  }

  // On load a type the server refused stays in view, beside its error; once the person
  // chooses another place, a type its law does not give is hidden and cleared.
  function update(onLoad) {
    var offered = byRegion[region.value];
    var hidden = 0;
    radios.forEach(function (radio) {
      // A place the map does not know (none chosen yet) shows every type.
      var show = !offered || offered.indexOf(radio.value) !== -1 || (onLoad && radio.checked);
      var option = radio.closest("div") || radio.parentElement;
      option.hidden = !show;
      if (!show) {
        hidden += 1;
        // A hidden choice cannot be sent: the person picks again from what is shown.
        radio.checked = false;
      }
    });
    if (note) {
      note.hidden = hidden === 0;
    }
    if (!checkedRadio()) {
      chosenForThem = false;
    }
    preselectOptOut(offered);
    showAppealField();
  }

  radios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      chosenForThem = false;
      showAppealField();
    });
  });
  region.addEventListener("change", function () {
    update(false);
  });
  update(true);
})();
