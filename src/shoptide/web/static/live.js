// Shoptide live room: one WebSocket per page, and what each message changes on the page.
// The viewer's room and the host's console share it. Other scripts add their own handlers:
//   window.shoptideLive.on("offer", (message) => { ... });
//   window.shoptideLive.send({type: "comment", body: "Hello"});
(function () {
  "use strict";

  const root = document.querySelector("[data-live-room]");
  if (!root) return;

  const room = root.dataset.liveRoom;
  const words = JSON.parse(document.getElementById("live-words").textContent);
  const $ = (id) => document.getElementById(id);
  const comments = $("comments");
  const form = $("comment-form");
  const input = $("comment-body");
  const hint = $("live-hint");
  const MAX_COMMENTS = 200;
  const MODERATORS = ["host", "moderator", "operator"];

  const handlers = {};
  let socket = null;
  let attempts = 0;
  let you = { role: "visitor", can_comment: false, refusal: "" };
  let unsent = "";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text, isError) {
    if (!hint) return;
    hint.textContent = text || "";
    hint.classList.toggle("error", Boolean(isError));
  }

  // --- the socket -----------------------------------------------------------------------

  const live = (window.shoptideLive = {
    room: room,
    on(type, handler) {
      (handlers[type] = handlers[type] || []).push(handler);
    },
    send(message) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    get you() {
      return you;
    },
  });

  function dispatch(message) {
    for (const handler of handlers[message.type] || []) {
      try {
        handler(message);
      } catch (error) {
        console.error("live handler failed", message.type, error);
      }
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/live/${encodeURIComponent(room)}/ws`);
    socket.addEventListener("open", () => {
      attempts = 0;
      say("");
    });
    socket.addEventListener("message", (event) => dispatch(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      enableForm(false);
      say(words.reconnecting);
      // back off, with jitter so a restarted server isn't hit by every viewer at once
      const delay = Math.min(30000, 1000 * 2 ** attempts++) + Math.random() * 1000;
      setTimeout(connect, delay);
    });
  }

  // --- the room -------------------------------------------------------------------------

  function showViewers(count) {
    const node = $("live-viewers");
    if (!node) return;
    node.hidden = false;
    node.textContent = `${count} ${words.watching}`;
  }

  function enableForm(enabled) {
    if (!form) return;
    input.disabled = !enabled;
    form.querySelector("button").disabled = !enabled;
  }

  live.on("snapshot", (message) => {
    you = message.you;
    showViewers(message.viewers);
    comments.replaceChildren();
    message.comments.forEach(addComment);
    showPinned(message.pinned);
    $("deals")?.replaceChildren();
    message.deals.forEach(showDeal);
    enableForm(you.can_comment);
    say(you.refusal);
    reloadIfStatusChanged(message.room.status);
  });

  live.on("viewers", (message) => showViewers(message.count));
  live.on("status", (message) => reloadIfStatusChanged(message.status));
  live.on("notice", (message) => say(message.message));
  live.on("error", (message) => {
    say(message.message, true);
    if (unsent && !input.value) input.value = unsent;
    unsent = "";
  });

  function reloadIfStatusChanged(status) {
    // the player (live stream, "starting soon", replay) is drawn by the server
    if (status === root.dataset.status) return;
    root.dataset.status = status;
    setTimeout(() => location.reload(), Math.random() * 3000);
  }

  // --- comments -------------------------------------------------------------------------

  function moderationButtons(comment) {
    const tools = element("span", "live-comment-tools");
    const remove = element("button", "link", words.delete);
    remove.type = "button";
    remove.addEventListener("click", () => live.send({ type: "delete_comment", id: comment.id }));
    tools.append(remove);
    if (comment.role === "viewer") {
      const mute = element("button", "link", words.mute);
      mute.type = "button";
      mute.addEventListener("click", () => live.send({ type: "mute", comment_id: comment.id }));
      tools.append(mute);
    }
    return tools;
  }

  function addComment(comment) {
    if (comments.querySelector(`[data-comment-id="${comment.id}"]`)) return;
    const item = element("li", `live-comment role-${comment.role}`);
    item.dataset.commentId = comment.id;
    const author = element("strong", "live-comment-author", comment.author);
    if (comment.role !== "viewer") {
      author.append(" ", element("span", "live-role", words[comment.role] || comment.role));
    }
    item.append(author, " ", element("span", "live-comment-body", comment.body));
    if (MODERATORS.includes(you.role)) item.append(" ", moderationButtons(comment));
    comments.append(item);
    while (comments.children.length > MAX_COMMENTS) comments.firstElementChild.remove();
    comments.scrollTop = comments.scrollHeight;
  }

  live.on("comment", (message) => {
    addComment(message);
    unsent = "";
  });
  live.on("comment_deleted", (message) => {
    comments.querySelector(`[data-comment-id="${message.id}"]`)?.remove();
  });

  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    if (live.send({ type: "comment", body: body })) {
      unsent = body;
      input.value = "";
    }
  });

  // --- the pinned product ---------------------------------------------------------------

  function showPinned(product) {
    const box = $("pinned");
    if (!box) return;
    box.replaceChildren();
    box.hidden = !product;
    if (!product) return;
    box.dataset.productId = product.id;
    box.append(element("p", "live-pinned-label", words.pinned));
    if (product.image) {
      const image = element("img");
      image.src = product.image;
      image.alt = "";
      image.width = 96;
      image.height = 96;
      box.append(image);
    }
    const title = element("a", "live-pinned-title", product.title);
    title.href = product.url;
    box.append(title, element("p", "live-pinned-price", product.price));
    const variants = element("ul", "live-pinned-variants");
    for (const variant of product.variants) {
      const item = element("li", "", `${variant.label} · ${variant.price}`);
      item.dataset.sku = variant.sku;
      item.append(" ", element("small", "", variant.sku));
      variants.append(item);
    }
    box.append(variants, element("div", "live-pinned-actions"));
  }

  live.on("pin", (message) => showPinned(message.product));
  live.on("unpin", () => showPinned(null));

  // --- flash deals and the purchase ticker ---------------------------------------------

  function dealCard(id) {
    return $("deals")?.querySelector(`[data-deal-id="${id}"]`);
  }

  function showDeal(deal) {
    const deals = $("deals");
    if (!deals) return;
    dealCard(deal.id)?.remove();
    const card = element("article", "live-deal");
    card.dataset.dealId = deal.id;
    card.dataset.sku = deal.sku;
    card.dataset.endsAt = deal.ends_at;
    card.dataset.quantity = deal.quantity;
    if (deal.image) {
      const image = element("img");
      image.src = `/media/${deal.image}`;
      image.alt = "";
      image.width = 64;
      image.height = 64;
      card.append(image);
    }
    const price = element("p", "live-deal-price", deal.price);
    price.append(" ", element("s", "", deal.list_price));
    card.append(
      element("h3", "", `${deal.title} · ${deal.variant}`),
      price,
      element("p", "live-deal-left"),
      element("p", "live-deal-clock"),
      element("div", "live-deal-actions"),
    );
    deals.append(card);
    showRemaining(card, deal.remaining);
    tick();
  }

  function showRemaining(card, remaining) {
    card.dataset.remaining = remaining;
    card.querySelector(".live-deal-left").textContent = fill(words.left, {
      n: remaining,
      total: card.dataset.quantity,
    });
  }

  function tick() {
    for (const card of document.querySelectorAll(".live-deal")) {
      const seconds = Math.max(0, Math.round((Date.parse(card.dataset.endsAt) - Date.now()) / 1000));
      const time = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      card.querySelector(".live-deal-clock").textContent = seconds
        ? fill(words.ends_in, { time: time })
        : words.ended;
    }
  }

  live.on("deal", (message) => showDeal(message.deal));
  live.on("deal_stock", (message) => {
    const card = dealCard(message.id);
    if (card) showRemaining(card, message.remaining);
  });
  live.on("deal_ended", (message) => dealCard(message.id)?.remove());

  live.on("purchase", (message) => {
    const ticker = $("ticker");
    if (ticker) ticker.textContent = fill(words.bought, { name: message.buyer, title: message.title });
  });

  // --- video: the live stream through hls.js, the replay's chapters ---------------------

  function playLive() {
    const video = $("live-video");
    if (!video) return;
    const source = video.dataset.hls;
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
    } else if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ liveSyncDurationCount: 1 });
      hls.loadSource(source);
      hls.attachMedia(video);
    }
  }

  document.querySelectorAll("[data-seek]").forEach((button) => {
    button.addEventListener("click", () => {
      const replay = $("replay-video");
      if (!replay) return;
      replay.currentTime = Number(button.dataset.seek);
      replay.play().catch(() => {});
    });
  });

  setInterval(tick, 1000);
  playLive();
  connect();
})();
