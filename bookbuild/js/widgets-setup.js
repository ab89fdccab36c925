// Loaded just before the widgets HTML manager (embed-amd.js), on pages with widgets.
(function () {
  // The AMD modules in embed-amd.js (@jupyter-widgets/base, controls, html-manager/dist/...)
  // load their Font Awesome fonts from where require.js thinks they live, by default under
  // the page's own folder; point require.js at the folder the fonts are served from.
  var folder = new URL("html-manager", document.currentScript.src).href;
  window.require.config({
    paths: { "@jupyter-widgets": folder, "@jupyter-widgets/html-manager/dist": folder },
  });

  // ipywidgets 8 typesets widget labels with MathJax 2's `MathJax.Hub.Queue`; the book runs
  // MathJax 3, so hand those calls to it. Widgets render on `load`: this listener runs first.
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (!mathjax || !mathjax.startup || mathjax.Hub) return;
    mathjax.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (Array.isArray(job) && job[0] === "Typeset") {
            mathjax.startup.promise = mathjax.startup.promise.then(function () {
              return mathjax.typesetPromise([job[2]]);
            });
          }
        });
      },
    };
  });
})();
