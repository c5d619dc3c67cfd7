// Shoptide For You: one item at a time in a scroll-snapped list.
// - scroll, swipe, the wheel, or ArrowDown/ArrowUp (j/k) move between items;
// - the item in view plays (muted; native HLS or hls.js), the others pause;
// - the next served page is fetched and appended when the viewer is near the end;
// - what the viewer does is reported to the server in batches, per served page:
//   impression (>= 60% visible, once), watch (ms played when leaving a video),
//   skip (left within 1 s), click (product and room links), share.
(function () {
  "use strict";

  const feed = document.getElementById("feed");
  if (!feed) return;

  const EVENTS = feed.dataset.events;
  const MORE = feed.dataset.more;
  const CSRF = feed.dataset.csrf;
  const AHEAD = Number(feed.dataset.fetchAhead || 3);
  const REPORT_MS = Number(feed.dataset.reportMs || 4000);
  const MAX_BATCH = 50;
  const SKIP_MS = 1000;
  const VISIBLE = 0.6;

  const queue = new Map(); // page id -> events not sent yet
  const states = new WeakMap(); // article -> what we know of it
  let current = null;
  let loading = false;
  let exhausted = false;

  const articles = () => Array.from(feed.querySelectorAll("article.feed-item"));

  function state(article) {
    let found = states.get(article);
    if (!found) {
      found = { impressed: false, enteredAt: 0, reportedMs: 0 };
      states.set(article, found);
    }
    return found;
  }

  // --- reporting ---------------------------------------------------------------------------

  function record(article, action, value) {
    if (!article) return;
    const page = article.dataset.pageId;
    if (!queue.has(page)) queue.set(page, []);
    queue.get(page).push({ item_key: article.dataset.itemKey, action: action, value: value || 0 });
  }

  function send(page, events, leaving) {
    const body = { page_id: page, events: events };
    if (leaving && navigator.sendBeacon) {
      // a beacon cannot carry headers: the CSRF token rides in the body (text/plain JSON)
      const blob = new Blob([JSON.stringify(Object.assign({ csrf_token: CSRF }, body))], {
        type: "text/plain",
      });
      if (navigator.sendBeacon(EVENTS, blob)) return;
    }
    fetch(EVENTS, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        if (!response.ok) console.warn("feed: events refused", response.status);
      })
      .catch(function (error) {
        console.warn("feed: events not sent", error);
      });
  }

  function flush(leaving) {
    queue.forEach(function (events, page) {
      while (events.length) send(page, events.splice(0, MAX_BATCH), leaving);
    });
    queue.clear();
  }

  // --- playing -------------------------------------------------------------------------------

  function attach(video) {
    if (video.dataset.attached) return;
    video.dataset.attached = "1";
    const source = video.dataset.src;
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
    } else if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls();
      hls.loadSource(source);
      hls.attachMedia(video);
    } else {
      const note = document.createElement("p");
      note.className = "error-message";
      note.setAttribute("role", "alert");
      note.textContent = feed.dataset.unsupported;
      video.after(note);
    }
  }

  function playedMs(video) {
    let seconds = 0;
    for (let i = 0; i < video.played.length; i += 1) {
      seconds += video.played.end(i) - video.played.start(i);
    }
    return seconds * 1000;
  }

  // --- moving between items ------------------------------------------------------------------

  function leave(article) {
    const known = state(article);
    const video = article.querySelector("video");
    if (video) {
      video.pause();
      const played = playedMs(video);
      if (played - known.reportedMs >= 1) {
        record(article, "watch", Math.round(played - known.reportedMs));
        known.reportedMs = played;
      }
    }
    if (performance.now() - known.enteredAt < SKIP_MS) record(article, "skip", 0);
  }

  function enter(article) {
    if (article === current) return;
    if (current) leave(current);
    current = article;
    state(article).enteredAt = performance.now();
    feed.querySelectorAll("article.feed-item[data-current]").forEach(function (other) {
      other.removeAttribute("data-current");
    });
    article.setAttribute("data-current", "");
    const video = article.querySelector("video");
    if (video) {
      attach(video);
      video.muted = true;
      const playing = video.play();
      if (playing) playing.catch(function () {}); // autoplay refused: the controls remain
    }
    const list = articles();
    const next = list[list.indexOf(article) + 1];
    const nextVideo = next && next.querySelector("video");
    if (nextVideo) attach(nextVideo); // ready before the viewer gets there
    if (list.indexOf(article) >= list.length - AHEAD) loadMore();
  }

  const seen = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting || entry.intersectionRatio < VISIBLE) return;
        const article = entry.target;
        const known = state(article);
        if (!known.impressed) {
          known.impressed = true;
          record(article, "impression", 0);
        }
        enter(article);
      });
    },
    { root: feed, threshold: [VISIBLE] }
  );

  function move(step) {
    const list = articles();
    const at = current ? list.indexOf(current) : 0;
    const target = list[Math.min(Math.max(at + step, 0), list.length - 1)];
    if (!target || target === current) return;
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    move(step);
  });

  // --- the next page -------------------------------------------------------------------------

  function loadMore() {
    if (loading || exhausted) return;
    loading = true;
    feed.setAttribute("aria-busy", "true");
    fetch(MORE, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        const holder = document.createElement("template");
        holder.innerHTML = html;
        const added = Array.from(holder.content.querySelectorAll("article.feed-item"));
        if (!added.length) exhausted = true;
        added.forEach(function (article) {
          feed.appendChild(article);
          if (window.htmx) window.htmx.process(article);
          seen.observe(article);
        });
      })
      .catch(function (error) {
        console.warn("feed: the next page did not load", error);
      })
      .finally(function () {
        loading = false;
        feed.setAttribute("aria-busy", "false");
      });
  }

  // --- links and sharing ---------------------------------------------------------------------

  function say(button, text) {
    const note = document.createElement("span");
    note.className = "feed-note";
    note.setAttribute("role", "status");
    note.textContent = text;
    button.after(note);
    setTimeout(function () {
      note.remove();
    }, 2500);
  }

  feed.addEventListener("click", function (event) {
    const share = event.target.closest("[data-feed-share]");
    if (share) {
      const article = share.closest("article.feed-item");
      const url = new URL(share.dataset.url, window.location.origin).href;
      record(article, "share", 0);
      flush(false);
      if (navigator.share) {
        navigator.share({ title: share.dataset.title, url: url }).catch(function () {});
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(url).then(
          function () {
            say(share, feed.dataset.copied);
          },
          function () {
            say(share, url);
          }
        );
      } else {
        say(share, url);
      }
      return;
    }
    const link = event.target.closest("a[data-feed-click]");
    if (link) {
      record(link.closest("article.feed-item"), "click", 0);
      flush(true); // the page is about to go: a beacon outlives it
    }
  });

  // --- start ---------------------------------------------------------------------------------

  function fit() {
    const top = feed.getBoundingClientRect().top + window.scrollY;
    feed.style.setProperty("--feed-height", Math.max(320, window.innerHeight - top - 8) + "px");
  }
  fit();
  window.addEventListener("resize", fit);

  articles().forEach(function (article) {
    seen.observe(article);
  });
  setInterval(function () {
    flush(false);
  }, REPORT_MS);
  window.addEventListener("pagehide", function () {
    if (current) leave(current);
    current = null;
    flush(true);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(true);
  });
})();
