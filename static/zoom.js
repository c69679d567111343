// Deep zoom: a tap on a zoomable picture loads the viewer (OpenSeadragon, served by us and
// fetched only now) and opens its tiles full screen, with a close button. No inline script
// or style: the page's CSP stays as it is.
(function () {
  "use strict";
  var me = document.currentScript;
  var viewerUrl = me.getAttribute("data-viewer");
  var closeLabel = me.getAttribute("data-close") || "Close";
  var loading = null;

  function loadViewer() {
    if (window.OpenSeadragon) return Promise.resolve(window.OpenSeadragon);
    if (!loading) {
      // The viewer adds a <style> of its own unless the page has one so marked; the CSP
      // allows only the page's hashed stylesheet, so that one is marked (its rule, hiding
      // the focus outline on phones, is one we do without).
      var sheet = document.querySelector("head style");
      if (sheet) sheet.setAttribute("data-openseadragon-mobile-css", "");
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = viewerUrl;
        script.onload = function () { resolve(window.OpenSeadragon); };
        script.onerror = function () { loading = null; reject(new Error("viewer")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function open(button) {
    var overlay = document.createElement("div");
    overlay.className = "viewer";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var img = button.querySelector("picture img");
    if (img && img.alt) overlay.setAttribute("aria-label", img.alt);
    var area = document.createElement("div");
    area.className = "osd";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = closeLabel;
    overlay.appendChild(area);
    overlay.appendChild(close);
    document.body.appendChild(overlay);
    close.focus();
    var viewer = null;
    function shut() {
      document.removeEventListener("keydown", onKey);
      if (viewer) viewer.destroy();
      overlay.remove();
      button.focus();
    }
    function onKey(event) { if (event.key === "Escape") shut(); }
    close.addEventListener("click", shut);
    document.addEventListener("keydown", onKey);
    loadViewer().then(function (OpenSeadragon) {
      if (!overlay.isConnected) return;
      viewer = OpenSeadragon({
        element: area,
        tileSources: button.getAttribute("data-dzi"),
        // Our own close button; the stock controls would load their icons from elsewhere.
        showNavigationControl: false,
        drawer: "canvas",
        gestureSettingsTouch: { pinchRotate: false },
        visibilityRatio: 1,
        minZoomImageRatio: 1,
      });
      overlay.viewer = viewer;
    }, function () { shut(); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.zoom[data-dzi]");
    if (button) open(button);
  });
})();
