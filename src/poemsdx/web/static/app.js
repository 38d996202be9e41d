// poemsdx pages: a few lines of progressive enhancement (the pages work without them).
// - an evidence link highlights every span of its observation in the source and scrolls
//   to the first (without JS the link still jumps to the anchor and :target marks it);
// - the language selector submits itself;
// - htmx requests carry the CSRF token from the page's meta tag.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function clear() {
    document.querySelectorAll("mark.evidence.active, a.ev-link.active").forEach(function (el) {
      el.classList.remove("active");
    });
  }

  function show(link) {
    clear();
    var ids = (link.getAttribute("data-ev") || "").split(/\s+/).filter(Boolean);
    var first = null;
    ids.forEach(function (id) {
      document.querySelectorAll('mark[data-ev~="' + id + '"]').forEach(function (m) {
        m.classList.add("active");
        if (!first) { first = m; }
      });
    });
    link.classList.add("active");
    if (first) {
      var box = first.closest("details");
      if (box) { box.open = true; }
      first.scrollIntoView({ block: "center" });
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.ev-link");
    if (!link) { return; }
    event.preventDefault();
    show(link);
    history.replaceState(null, "", link.getAttribute("href"));
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "lang-select") { event.target.form.submit(); }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });
})();
