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
// nothing is fetched from outside the site. It typesets each page once when it loads (the
// site does not use Material's instant navigation, so there is no later page swap to redo).
