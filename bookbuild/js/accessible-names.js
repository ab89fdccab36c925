// Accessible names that the theme and its extensions leave out (tests/book_browser.py audits
// every page with axe-core). Controls are named as they appear, also when drawn later.
(function () {
  function name() {
    // sphinx-copybutton's buttons hold only an icon; their tooltip says what they do
    document.querySelectorAll("button.copybtn:not([aria-label])").forEach(function (b) {
      b.setAttribute("aria-label", b.getAttribute("data-tooltip") || "Copy");
    });
    // pydata-sphinx-theme names its search button "Search" but shows "Search Ctrl+K": a
    // speech-input user says what they see, so the name comes from the visible text (axe's
    // label-content-name-mismatch)
    document.querySelectorAll(".search-button__button[aria-label]").forEach(function (b) {
      if (b.textContent.trim()) b.removeAttribute("aria-label");
    });
    // sphinx-togglebutton names its summaries "Toggle hidden content" while they show
    // "Show code cell source": the visible words become the name
    document.querySelectorAll("details > summary[aria-label]").forEach(function (s) {
      if (s.textContent.trim()) s.removeAttribute("aria-label");
    });
    // ipywidgets' slider handles (noUiSlider) are named after the widget's description
    document.querySelectorAll(".noUi-handle:not([aria-label])").forEach(function (h) {
      var widget = h.closest(".jupyter-widgets");
      var label = widget && widget.querySelector(".widget-label");
      h.setAttribute("aria-label", (label && label.textContent.trim()) || "value");
    });
  }
  function start() {
    name();
    new MutationObserver(name).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
