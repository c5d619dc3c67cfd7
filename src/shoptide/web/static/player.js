// Short-video players (content/_player.html): HLS through hls.js where the browser has no
// HLS of its own, and the watch signals of a shopper's player (view once, then playing time
// every few seconds). Each <video class="video-player" data-src> starts once, in the page
// or in a part htmx swaps in.
function shoptidePlayer(video) {
  var source = video.dataset.src;
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = source;
  } else if (window.Hls && Hls.isSupported()) {
    var hls = new Hls();
    hls.loadSource(source);
    hls.attachMedia(video);
  } else {
    video.insertAdjacentHTML("afterend", '<p class="error-message" role="alert">' + video.dataset.unsupported + "</p>");
    return;
  }
  if (video.dataset.signals) { shoptideSignals(video); }
}

function shoptideSignals(video) {
  var base = video.dataset.signals, interval = Number(video.dataset.pingMs);
  var playingSince = null, viewed = false;
  function send(path, fields) {
    var data = new FormData();
    data.append("csrf_token", video.dataset.csrf);
    Object.keys(fields).forEach(function (name) { data.append(name, fields[name]); });
    navigator.sendBeacon(base + path, data);
  }
  function flush() {  // credit the playing time since the last ping
    if (playingSince === null) { return; }
    var now = Date.now(), played = now - playingSince;
    playingSince = now;
    if (played > 0) { send("/watch", {watch_ms: Math.round(played)}); }
  }
  video.addEventListener("playing", function () {
    if (!viewed) { viewed = true; send("/view", {}); }
    playingSince = Date.now();
  });
  ["pause", "ended", "waiting"].forEach(function (name) {
    video.addEventListener(name, function () { flush(); playingSince = null; });
  });
  setInterval(flush, interval);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
}

function shoptideStartPlayers(root) {
  root.querySelectorAll("video.video-player[data-src]").forEach(function (video) {
    if (video.dataset.started) { return; }
    video.dataset.started = "1";
    shoptidePlayer(video);
  });
}

document.addEventListener("DOMContentLoaded", function () { shoptideStartPlayers(document); });
document.addEventListener("htmx:load", function (event) { shoptideStartPlayers(event.detail.elt); });
