/* New referral page.
 *
 * Linking to an existing youth: the link stays visible for as long as it is set, can be
 * removed ("Unlink"), and is removed when the name or date of birth is changed. While
 * linked, the youth fields show the linked record read-only (disabled, so not sent),
 * except "missing from care" and the tribal affiliation, which update the youth. What
 * was typed before linking comes back on unlink. The server refuses a link that does
 * not match what was sent, so nothing typed is ever dropped silently.
 *
 * County: a youth living in another hub's region is flagged at once; the referral goes
 * to that hub's queue only when "Hand over" is ticked.
 */
(function () {
  "use strict";

  var IDENTITY = ["legal_first_name", "legal_last_name", "date_of_birth"];
  var SITUATION = ["missing_from_care", "tribe"];
  var FIELDS = ["legal_first_name", "legal_last_name", "preferred_name", "date_of_birth",
    "estimated_age", "gender", "race_ethnicity", "county", "tribe", "languages", "address",
    "safe_at_home", "missing_from_care", "current_location", "guardian_name",
    "guardian_relationship", "guardian_contact"];
  var stash = null;

  function field(name) { return document.getElementById("id_youth-" + name); }
  function hidden() { return document.getElementById("id_referral-existing_youth"); }
  function panel() { return document.getElementById("linked-panel"); }

  function read(input) { return input.type === "checkbox" ? input.checked : input.value; }
  function write(input, value) {
    if (input.type === "checkbox") { input.checked = Boolean(value); }
    else { input.value = value === null || value === undefined ? "" : String(value); }
  }
  function say(text) { document.getElementById("link-status").textContent = text; }

  function link(id, record, label, announce) {
    if (!stash) {
      stash = {};
      FIELDS.forEach(function (name) { if (field(name)) stash[name] = read(field(name)); });
    }
    hidden().value = id;
    FIELDS.forEach(function (name) {
      var input = field(name);
      if (!input) return;
      // Restoring a link after a refused save keeps what was typed in the identity fields,
      // so the error about them still reads true.
      // Kept on the record, not sent to the page (the address, the guardian, where the
      // youth is now): the match list sends the record of every youth it offers.
      if (!(name in record)) {
        write(input, "");
        input.placeholder = "On the youth's record";
      } else if (announce || IDENTITY.indexOf(name) < 0) {
        write(input, record[name]);
      }
      var readOnly = IDENTITY.indexOf(name) < 0 && SITUATION.indexOf(name) < 0;
      input.disabled = readOnly;
    });
    document.getElementById("linked-name").textContent = label;
    panel().hidden = false;
    countyCheck();
    if (announce) say("Linked to " + label + ". The youth fields now show that record.");
  }

  function unlink(why) {
    if (!hidden().value) return;
    hidden().value = "";
    FIELDS.forEach(function (name) {
      var input = field(name);
      if (!input) return;
      input.disabled = false;
      input.removeAttribute("placeholder");
      if (stash && IDENTITY.indexOf(name) < 0) write(input, stash[name]);
    });
    stash = null;
    panel().hidden = true;
    countyCheck();
    say(why);
  }

  function countyCheck() {
    var select = field("county");
    var form = document.getElementById("referral-form");
    var warning = document.getElementById("county-warning");
    var handover = document.getElementById("handover");
    if (!select || !form || !warning) return;
    var option = select.options[select.selectedIndex];
    var region = option ? option.getAttribute("data-region") : null;
    var own = (form.getAttribute("data-own-regions") || "").split(" ");
    var elsewhere = region && own.indexOf(region) < 0 && !hidden().value;
    warning.hidden = !elsewhere;
    warning.textContent = elsewhere
      ? option.textContent + " is in Region " + region + ". Referrals follow the youth's county: " +
        "this one will go to Hub " + region + "'s queue, and you will not see the case after saving."
      : "";
    if (elsewhere) handover.hidden = false;
    else if (!document.querySelector("#handover .field--error")) {
      handover.hidden = true;
      var box = document.getElementById("id_referral-handover");
      if (box) box.checked = false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-link-youth]");
    if (button) {
      link(button.dataset.linkYouth, JSON.parse(button.dataset.youth), button.dataset.youthLabel, true);
      return;
    }
    if (event.target.closest("#unlink-youth")) {
      unlink("Link removed. The youth fields are yours to fill in again.");
      field("legal_first_name").focus();
    }
  });

  document.addEventListener("input", function (event) {
    var name = (event.target.id || "").replace("id_youth-", "");
    if (IDENTITY.indexOf(name) >= 0 && hidden().value) {
      unlink("Link removed because the name or date of birth changed. " +
        "Link again if it is the same youth.");
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_youth-date_of_birth" && hidden().value) {
      unlink("Link removed because the date of birth changed.");
    }
    if (event.target.id === "id_youth-county") countyCheck();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = panel();
    if (box && hidden() && hidden().value && box.dataset.youth) {
      link(hidden().value, JSON.parse(box.dataset.youth), box.dataset.youthLabel, false);
    }
    countyCheck();  // the error summary, if any, is focused by forms.js
  });
})();
