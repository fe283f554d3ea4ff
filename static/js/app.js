// Small page behaviours without inline scripts (a CSP without 'unsafe-inline' allows this file).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
