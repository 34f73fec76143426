// MathJax settings for pymdownx.arithmatex in generic mode: it wraps inline math in \( \)
// and display math in \[ \] inside elements of class "arithmatex", and only those are typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};

// MathJax finds its fonts and extensions beside its own script (javascripts/mathjax/), so
// nothing is fetched from outside the site.
// Typeset again whenever Material swaps in a new page's content without a full reload; on the
// first load MathJax typesets by itself once it is ready.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
