/* New referral page: link a possible existing youth, and take focus to the error summary. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-link-youth]");
    if (!button) return;
    document.getElementById("id_referral-existing_youth").value = button.dataset.linkYouth;
    var note = document.getElementById("linked-note");
    note.textContent = "Linked to " + button.dataset.youthName +
      ": this referral will be added to that youth's record and the youth fields below are ignored.";
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  });
})();
