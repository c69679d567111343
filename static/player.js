// Plays the page's HLS media. Browsers with native HLS (Safari, iOS, WeChat on iOS, many
// Android browsers) play the master playlist directly; the others load the hls.js fallback,
// and only when the player comes into view or is touched, so the page itself stays small.
(function () {
  "use strict";
  var script = document.currentScript;
  var fallback = script && script.getAttribute("data-fallback");
  var players = document.querySelectorAll("video[data-hls], audio[data-hls]");
  var loading = null;

  function loadFallback() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = fallback;
        tag.onload = function () { resolve(window.Hls); };
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function attach(media) {
    if (media.motpubAttached) return;
    media.motpubAttached = true;
    loadFallback().then(function (Hls) {
      if (!Hls || !Hls.isSupported()) return;
      var hls = new Hls({ capLevelToPlayerSize: true, startLevel: -1 });
      hls.loadSource(media.getAttribute("data-hls"));
      hls.attachMedia(media);
    });
  }

  Array.prototype.forEach.call(players, function (media) {
    if (media.canPlayType("application/vnd.apple.mpegurl") || !fallback) return;
    media.addEventListener("pointerdown", function () { attach(media); }, { once: true });
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries[0].isIntersecting) { observer.disconnect(); attach(media); }
      }, { rootMargin: "200px" });
      observer.observe(media);
    } else {
      attach(media);
    }
  });
})();
