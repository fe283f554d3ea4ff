// The check-in screen's QR changes every 30 seconds: fetch the new image when each new
// slot starts (templates/staff/checkin_screen.html).
//   <img data-rotating data-period="30" data-first="12" src="/staff/activities/1/screen.png">
// data-first is the server's count of seconds left in the current slot, so the screen
// follows the server's clock rather than its own.
(function () {
  "use strict";
  const AFTER_SLOT_MS = 300; // ask just after the server's slot has changed

  function refresh(img) {
    const url = new URL(img.dataset.base, window.location.href);
    url.searchParams.set("n", String(Date.now()));
    img.src = url.toString();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("img[data-rotating]").forEach((img) => {
      const period = (parseInt(img.dataset.period, 10) || 30) * 1000;
      const first = (parseInt(img.dataset.first, 10) || 30) * 1000;
      img.dataset.base = img.getAttribute("src");
      window.setTimeout(() => {
        refresh(img);
        window.setInterval(() => refresh(img), period);
      }, first + AFTER_SLOT_MS);
    });
  });
})();
