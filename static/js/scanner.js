// Camera QR scanning in the page (no CDN): zxing-wasm reads frames from the phone camera.
//
// Markup (see templates/_macros/scanner.html):
//   <form data-scanner data-wasm="/static/vendor/zxing-wasm/zxing_reader.wasm" method="post">
//     <video data-scanner-video muted playsinline></video>
//     <input data-scanner-target name="code">   the decoded text goes here, then the form submits
//     <button type="button" data-scanner-start>  (re)starts the camera
//     <p data-scanner-status aria-live="polite">  what the scanner is doing, in the page's words
//   </form>
// Status texts come from data-text-* attributes on the form, so they are translated server-side.
// With data-autostart the camera starts when the page opens (the clerk's and the check-in page).
(function () {
  "use strict";
  const INTERVAL_MS = 120;

  function say(form, key) {
    const status = form.querySelector("[data-scanner-status]");
    if (status && form.dataset["text" + key]) {
      status.textContent = form.dataset["text" + key];
    }
    form.dataset.scannerState = key.toLowerCase();
  }

  function prepare(form) {
    if (!window.ZXingWASM) {
      return false;
    }
    if (!window.__zxingPrepared) {
      const wasm = form.dataset.wasm;
      window.ZXingWASM.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
        fireImmediately: true,
      });
      window.__zxingPrepared = true;
    }
    return true;
  }

  async function start(form) {
    if (form.__scanning) {
      return;
    }
    const video = form.querySelector("[data-scanner-video]");
    const target = form.querySelector("[data-scanner-target]");
    if (!video || !target || !navigator.mediaDevices || !prepare(form)) {
      say(form, "Unsupported");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } }, audio: false,
      });
    } catch (error) {
      say(form, "Denied");
      return;
    }
    form.__scanning = true;
    video.srcObject = stream;
    await video.play().catch(() => {});
    say(form, "Scanning");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });

    const stop = () => {
      form.__scanning = false;
      stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
    };
    const tick = async () => {
      if (!form.__scanning) {
        return;
      }
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        try {
          const found = await window.ZXingWASM.readBarcodes(frame, {
            formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1,
          });
          const hit = found.find((result) => result.isValid && result.text);
          if (hit) {
            stop();
            target.value = hit.text;
            say(form, "Found");
            form.requestSubmit ? form.requestSubmit() : form.submit();
            return;
          }
        } catch (error) {
          // A frame that fails to decode is normal; keep going.
        }
      }
      window.setTimeout(tick, INTERVAL_MS);
    };
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-scanner]").forEach((form) => {
      const button = form.querySelector("[data-scanner-start]");
      if (button) {
        button.addEventListener("click", () => start(form));
      }
      if (form.hasAttribute("data-autostart")) {
        start(form);
      }
    });
  });
})();
