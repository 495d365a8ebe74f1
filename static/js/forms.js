/* Forms that failed to save (templates/partials/error_summary.html).
 *
 * On load, focus goes to the error summary, so it is read out and the keyboard starts
 * there; a <details> holding it is opened. Each link in the summary moves focus to its
 * field (not just scrolls to it) and brings the field's label or legend into view.
 *
 * Loaded by the summary itself, so a page with several summaries may load it twice.
 */
(function () {
  "use strict";

  if (window.hubnetFormErrors) return;
  window.hubnetFormErrors = true;

  function openAround(element) {
    for (var box = element.closest("details"); box; box = box.parentElement.closest("details")) {
      box.open = true;
    }
  }

  function caption(input) {
    var label = input.id && document.querySelector('label[for="' + input.id + '"]');
    if (label) return label;
    var group = input.closest("fieldset");
    return (group && group.querySelector("legend")) || input;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input || input.disabled) return;  // the browser's own jump, at least
    event.preventDefault();
    openAround(input);
    caption(input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    openAround(summary);
    summary.focus();
  });
})();
