// Recording protocol steps: a "Now" button beside each date-and-time field
// (cases/widgets.py renders it hidden; this shows it). It fills the field with the
// current date and time on the wall clock of the server's zone (America/Chicago), the
// zone the server reads the field in, whatever zone this device is set to. The server
// accepts a time a few minutes ahead of its own clock, so a device running slightly
// fast is not refused.
(function () {
  "use strict";

  function wallClock(timeZone) {
    const options = {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    };
    let format;
    try {
      format = new Intl.DateTimeFormat("en-CA", { ...options, timeZone: timeZone });
    } catch (error) {
      format = new Intl.DateTimeFormat("en-CA", options); // unknown zone: this device's
    }
    const parts = {};
    for (const part of format.formatToParts(new Date())) parts[part.type] = part.value;
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  }

  for (const button of document.querySelectorAll("button[data-now-for]")) {
    const input = document.getElementById(button.dataset.nowFor);
    if (!input) continue;
    button.hidden = false;
    button.addEventListener("click", function () {
      input.value = wallClock(button.dataset.timeZone);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      // Focus on the field: a screen reader reads out the time just filled in, and the
      // person can adjust it from there.
      input.focus();
    });
  }
})();
