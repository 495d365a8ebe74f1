// Session limits (hubnet/sessions.py): warn before an idle session ends, let the person
// stay, and count typing or clicking as activity so a long form is never lost to the
// idle limit. Before warning, and when its own count runs out, the page asks the server
// how long is left (another tab may have been in use); asking is not activity. When the
// server says the session has ended, reload: the server signs out and says why.
(function () {
  "use strict";
  const box = document.getElementById("session-warning");
  if (!box) return;
  const data = box.dataset;
  const text = document.getElementById("session-warning-text");
  const stay = document.getElementById("session-stay");
  const warningMs = Number(data.warning) * 1000;
  let idleEnd = Date.now() + Number(data.idleLeft) * 1000;
  let absoluteEnd = Date.now() + Number(data.absoluteLeft) * 1000;
  let lastPing = Date.now();
  let lastCheck = 0;
  let busy = false;
  let returnFocusTo = null;

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function learn(response) {
    // A signed-out session answers with the sign-in page (a redirect): reload to see it.
    if (!response.ok || response.redirected) {
      window.location.reload();
      return null;
    }
    return response.json().then((left) => {
      idleEnd = Date.now() + left.idle_left * 1000;
      absoluteEnd = Date.now() + left.absolute_left * 1000;
    });
  }

  function request(url, options) {
    if (busy) return Promise.resolve();
    busy = true;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, ...options })
      .then(learn)
      .finally(() => {
        busy = false;
      });
  }

  function ping() {
    lastPing = Date.now();
    return request(data.keepaliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": data.csrf, Accept: "application/json" },
    }).then(hide);
  }

  function check() {
    lastCheck = Date.now();
    return request(data.statusUrl, { method: "GET" });
  }

  function show(end, absolute) {
    const minutes = Math.max(1, Math.ceil((end - Date.now()) / 60000));
    const when = `in ${minutes} minute${minutes === 1 ? "" : "s"} (at ${clock(end)})`;
    const message = absolute
      ? `You will be signed out ${when}, the most a session lasts. Save your work now.`
      : `Nothing has happened for a while. You will be signed out ${when}.`;
    if (text.textContent !== message) text.textContent = message;
    stay.hidden = absolute;
    if (box.hidden) {
      box.hidden = false;
      box.dataset.absolute = absolute ? "1" : "";
      returnFocusTo = document.activeElement;
      if (!absolute) stay.focus();
    }
  }

  function hide() {
    if (box.hidden || box.dataset.absolute) return;
    box.hidden = true;
    if (returnFocusTo && document.contains(returnFocusTo)) returnFocusTo.focus();
    returnFocusTo = null;
  }

  function activity(event) {
    if (event.target === stay) return; // the button pings by itself
    if (!box.hidden && box.dataset.absolute) return; // nothing can extend it
    if (!box.hidden || Date.now() - lastPing > 60000) ping();
  }

  for (const kind of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(kind, activity, { capture: true, passive: true });
  }
  stay.addEventListener("click", ping);

  function tick() {
    const now = Date.now();
    const end = Math.min(idleEnd, absoluteEnd);
    if (end - now <= warningMs && now - lastCheck > 30000) {
      check(); // perhaps another tab kept the session going
    } else if (now >= end + 2000) {
      check();
    } else if (end - now <= warningMs) {
      show(end, end === absoluteEnd);
    } else {
      hide();
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
