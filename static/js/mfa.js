// After a passkey is set up on the second-factor page, go on to the backup codes
// (django-otp-webauthn's script announces success with this event).
(function () {
  "use strict";
  const placeholder = document.getElementById("passkey-registration-placeholder");
  const next = placeholder && placeholder.dataset.next;
  document.addEventListener("otp_webauthn.register_complete", function () {
    if (next) window.location.assign(next);
    else window.location.reload();
  });
})();
