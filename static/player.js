// Plays the page's HLS media. Browsers with native HLS (Safari, iOS, WeChat on iOS, many
// Android browsers) play the master playlist directly; the others load the hls.js fallback,
// and only when the player comes into view or is touched, so the page itself stays small.
// A video with dubs names the language to hear first (data-audio-language, the page's
// choice) and may have a picker of the others (select[data-player]); captions in the page's
// language show while the video speaks another.
(function () {
  "use strict";
  var script = document.currentScript;
  var fallback = script && script.getAttribute("data-fallback");
  var players = document.querySelectorAll("video[data-hls], audio[data-hls]");
  var pageLanguage = (document.documentElement.lang || "").toLowerCase();
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

  function same(a, b) { return (a || "").toLowerCase() === (b || "").toLowerCase(); }

  function wantedSound(media) {
    var picker = media.id && document.querySelector("select[data-player='" + media.id + "']");
    return picker ? picker.value : media.getAttribute("data-audio-language");
  }

  // Captions in the page's language while the video speaks another; the page's own choice
  // (the <track default>) holds until the visitor picks a sound.
  function showCaptions(media, spoken) {
    if (!pageLanguage) return;
    Array.prototype.forEach.call(media.textTracks || [], function (track) {
      if (same(track.language, pageLanguage)) {
        track.mode = same(spoken, pageLanguage) ? "disabled" : "showing";
      }
    });
  }

  // hls.js: its audio tracks are the master playlist's audio renditions.
  function selectHlsSound(hls, language) {
    var tracks = hls.audioTracks || [];
    for (var i = 0; i < tracks.length; i++) {
      if (same(tracks[i].lang, language)) {
        if (hls.audioTrack !== i) hls.audioTrack = i;
        return true;
      }
    }
    return false;
  }

  // Native HLS: the same renditions as the media element's audioTracks (Safari).
  function selectNativeSound(media, language) {
    var tracks = media.audioTracks;
    if (!tracks || !tracks.length) return false;
    var index = -1;
    for (var i = 0; i < tracks.length; i++) if (same(tracks[i].language, language)) index = i;
    if (index < 0) return false;
    for (var j = 0; j < tracks.length; j++) tracks[j].enabled = j === index;
    return true;
  }

  function selectSound(media, language) {
    if (!language) return;
    if (media.motpubHls) selectHlsSound(media.motpubHls, language);
    else selectNativeSound(media, language);
  }

  // Native HLS, unless the video has dubs and the browser cannot switch between them
  // (Chromium's native HLS has no audioTracks): hls.js can.
  function playsNatively(media) {
    if (!media.canPlayType("application/vnd.apple.mpegurl")) return false;
    return !media.hasAttribute("data-audio-language") || "audioTracks" in media;
  }

  function attach(media) {
    if (media.motpubAttached) return;
    media.motpubAttached = true;
    loadFallback().then(function (Hls) {
      if (!Hls || !Hls.isSupported()) return;
      // The page lists the captions as <track>s: hls.js must not add them a second time.
      var hls = new Hls({ capLevelToPlayerSize: true, startLevel: -1,
                          subtitleStreamController: null, subtitleTrackController: null,
                          timelineController: null, enableWebVTT: false });
      media.motpubHls = hls;
      if (media.hasAttribute("data-audio-language")) {
        hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, function () {
          selectHlsSound(hls, wantedSound(media));
        });
      }
      hls.loadSource(media.getAttribute("data-hls"));
      hls.attachMedia(media);
    });
  }

  Array.prototype.forEach.call(players, function (media) {
    if (media.hasAttribute("data-audio-language")) {
      media.addEventListener("loadedmetadata", function () {
        if (!media.motpubHls) selectNativeSound(media, wantedSound(media));
      });
      var picker = media.id && document.querySelector("select[data-player='" + media.id + "']");
      if (picker) {
        picker.addEventListener("change", function () {
          selectSound(media, picker.value);
          media.setAttribute("lang", picker.value);
          showCaptions(media, picker.value);
        });
      }
    }
    if (playsNatively(media) || !fallback) return;
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
