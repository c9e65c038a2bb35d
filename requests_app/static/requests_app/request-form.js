// The request form: show only the request types the law of the chosen place gives.
// The map comes from the page (json_script); the server checks the same rule, so the form
// works without this file and nothing here is trusted.
(function () {
  "use strict";
  var data = document.getElementById("request-types-by-region");
  var region = document.getElementById("id_region");
  var note = document.getElementById("request-types-note");
  if (!data || !region) {
    return;
  }
  var byRegion = JSON.parse(data.textContent);
  var radios = document.querySelectorAll('input[type="radio"][name="request_type"]');

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
  }

  region.addEventListener("change", function () {
    update(false);
  });
  update(true);
})();
