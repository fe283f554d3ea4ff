// The voucher page (templates/resident/voucher.html), without inline scripts:
// - while the voucher is held, ask the server every 2 s how it stands, and when it was
//   redeemed, cancelled or expired, say so at once and put the QR and 取消 away;
// - ask before 取消 (the form's data-confirm).
(() => {
  const POLL_MS = 2000;
  const voucher = document.querySelector("[data-voucher-status-url]");
  if (!voucher) return;

  const show = (state) => {
    voucher.dataset.state = state.status;
    const badge = voucher.querySelector("[data-test=status]");
    badge.textContent = state.label;
    badge.classList.toggle("ok", state.tone === "ok");
    badge.classList.toggle("warn", state.tone === "warn");
    const note = voucher.querySelector("[data-test=done-note]");
    if (note && state.note) note.textContent = state.note;
  };

  let timer = null;
  const poll = async () => {
    try {
      const response = await fetch(voucher.dataset.voucherStatusUrl, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (response.status === 403 || response.status === 404) return;  // signed out or no longer theirs
      if (response.ok) {
        const state = await response.json();
        if (state.status !== voucher.dataset.state) show(state);
        if (!state.open) return;  // final: nothing more will change
      }
    } catch (error) {
      // Offline for a moment (a shop's weak signal): try again at the next tick.
    }
    timer = window.setTimeout(poll, POLL_MS);
  };
  if (voucher.dataset.state === "held") timer = window.setTimeout(poll, POLL_MS);

  document.addEventListener("visibilitychange", () => {
    // Back on screen (the phone was locked at the till): ask at once.
    if (document.visibilityState === "visible" && voucher.dataset.state === "held") {
      window.clearTimeout(timer);
      poll();
    }
  });

  voucher.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
