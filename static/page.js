// Engagement beacons of the visitor page. The page session id is random and lives only in
// this page's memory: no cookie, no storage, nothing that follows a visitor elsewhere.
(function () {
  "use strict";
  var main = document.querySelector("main[data-item]");
  if (!main || !navigator.sendBeacon) return;
  var item = Number(main.getAttribute("data-item"));
  var code = main.getAttribute("data-code");  // the code this page was opened through
  var language = document.documentElement.lang;
  var bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  var session = btoa(String.fromCharCode.apply(null, bytes))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  function send(kind, value, media) {
    var beacon = { i: item, s: session, k: kind, l: language };
    if (value !== undefined && value !== null) beacon.v = value;
    if (media) beacon.m = media;
    if (code) beacon.c = code;
    navigator.sendBeacon("/e", JSON.stringify(beacon));
  }
  window.motpubBeacon = send;

  // How far the article was read: each quarter once.
  var article = document.querySelector("article");
  if (article) {
    var read = {};
    var onScroll = function () {
      var box = article.getBoundingClientRect();
      var seen = Math.min(1, Math.max(0, (window.innerHeight - box.top) / box.height));
      [25, 50, 75, 100].forEach(function (quarter) {
        if (seen * 100 >= quarter && !read[quarter]) { read[quarter] = true; send("read_depth", quarter); }
      });
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    onScroll();
  }

  // One link per other content language.
  Array.prototype.forEach.call(document.querySelectorAll("a.switch"), function (switcher) {
    switcher.addEventListener("click", function () { send("language_switch"); });
  });

  // Video: startup time, quarters watched, errors, and watch seconds when the page goes.
  Array.prototype.forEach.call(document.querySelectorAll("video[data-video], audio[data-video]"),
    function (media) {
      var id = Number(media.getAttribute("data-video"));
      var asked = 0, started = false, watched = 0, last = null, quarters = {};
      media.addEventListener("play", function () { if (!started) asked = performance.now(); });
      media.addEventListener("playing", function () {
        if (!started) { started = true; send("video_start", Math.round(performance.now() - asked), id); }
        last = media.currentTime;
      });
      media.addEventListener("timeupdate", function () {
        if (last !== null && !media.paused) {
          var step = media.currentTime - last;
          if (step > 0 && step < 2) watched += step;  // seeking is not watching
        }
        last = media.currentTime;
        var done = media.duration ? media.currentTime / media.duration * 100 : 0;
        [25, 50, 75].forEach(function (quarter) {
          if (done >= quarter && !quarters[quarter]) { quarters[quarter] = true; send("video_progress", quarter, id); }
        });
      });
      media.addEventListener("ended", function () {
        if (!quarters[100]) { quarters[100] = true; send("video_progress", 100, id); }
      });
      media.addEventListener("error", function () {
        send("video_error", media.error ? media.error.code : 0, id);
      });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden" && watched > 0) {
          send("watch_time", Math.round(watched * 10) / 10, id);
        }
      });
    });
})();
