// Small behaviours pages ask for with data- attributes: the Content-Security-Policy allows
// no inline script, so none lives in the templates.
(function () {
  "use strict";

  // <select data-autosubmit>: picking an option submits its form
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches("[data-autosubmit]")) { field.form.submit(); }
    // <input type=file data-max-bytes data-too-large>: refused before a long upload
    if (field.matches("input[type=file][data-max-bytes]")) {
      var file = field.files[0], limit = Number(field.dataset.maxBytes);
      field.setCustomValidity(file && file.size > limit ? field.dataset.tooLarge : "");
    }
  });

  // <form data-confirm="question">: sent only once the person agrees
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    // <input data-select-on-click>: a click selects it all, ready to copy
    if (target.matches("input[data-select-on-click]")) { target.select(); }
    // <button data-copy-from="id">: copies that field's value
    var button = target.closest("[data-copy-from]");
    if (button && navigator.clipboard) {
      navigator.clipboard.writeText(document.getElementById(button.dataset.copyFrom).value);
    }
  });

  // <form data-swap-refusal>: htmx shows the 422 answer (the form and why) like a 200
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr.status === 422 && elt && elt.closest("[data-swap-refusal]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // <form data-copy-link="/path">: its htmx request also copies the page's address
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt, form = elt && elt.closest("[data-copy-link]");
    if (form && navigator.clipboard) {
      navigator.clipboard.writeText(location.origin + form.dataset.copyLink).catch(function () {});
    }
  });
})();
