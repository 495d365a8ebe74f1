// Session limits (hubnet/sessions.py): warn before an idle session ends, let the person
// stay, and count typing or clicking as activity so a long form is never lost to the
// idle limit. When the session has ended, reload: the server signs out and says why.
(function () {
  "use strict";
  const box = document.getElementById("session-warning");
  if (!box) return;
  const data = box.dataset;
  const text = document.getElementById("session-warning-text");
  const stay = document.getElementById("session-stay");
  const warningMs = Number(data.warning) * 1000;
  const idleTimeoutMs = Number(data.idleTimeout) * 1000;
  const absoluteEnd = Date.now() + Number(data.absoluteLeft) * 1000;
  let idleEnd = Date.now() + Number(data.idleLeft) * 1000;
  let lastPing = Date.now();

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function show(end, absolute) {
    const minutes = Math.max(1, Math.ceil((end - Date.now()) / 60000));
    const when = `in ${minutes} minute${minutes === 1 ? "" : "s"} (at ${clock(end)})`;
    text.textContent = absolute
      ? `You will be signed out ${when}, the most a session lasts. Save your work now.`
      : `Nothing has happened for a while. You will be signed out ${when}.`;
    stay.hidden = absolute;
    if (box.hidden) {
      box.hidden = false;
      if (!absolute) stay.focus();
    }
  }

  function ping() {
    lastPing = Date.now();
    return fetch(data.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": data.csrf, Accept: "application/json" },
    }).then((response) => {
      if (!response.ok) return window.location.reload();
      idleEnd = Date.now() + idleTimeoutMs;
      box.hidden = true;
    });
  }

  function activity() {
    if (!box.hidden || Date.now() - lastPing > 60000) ping();
  }

  for (const kind of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(kind, activity, { capture: true, passive: true });
  }
  stay.addEventListener("click", ping);

  function tick() {
    const end = Math.min(idleEnd, absoluteEnd);
    const now = Date.now();
    if (now >= end + 3000) {
      window.location.reload();
      return;
    }
    if (end - now <= warningMs) show(end, end === absoluteEnd);
    window.setTimeout(tick, 1000);
  }
  tick();
})();
