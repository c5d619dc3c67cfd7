// Selling in a live room: loads the host's deal console and offer inbox and the viewer's
// offer panel (htmx fragments), opens the checkout drawer from any [data-buy-sku] button,
// and reloads those fragments when the room's socket says something changed.
(function () {
  "use strict";
  const match = location.pathname.match(/\/live\/([a-z]{2}-[0-9a-f]{10})/);
  if (!match || !window.htmx) return;
  const room = match[1];
  const fragments = {
    "#deal-console": `/seller/live/${room}/deals`,
    "#offer-inbox": `/seller/live/${room}/offers`,
    "#offer-panel": `/live/${room}/offer-panel`,
  };
  const ours = "#deal-console, #offer-inbox, #offer-panel, #buy-drawer";
  const words = JSON.parse(document.getElementById("live-words")?.textContent || "{}");

  function load(selector) {
    if (document.querySelector(selector)) {
      htmx.ajax("GET", fragments[selector], { target: selector, swap: "innerHTML" });
    }
  }

  // A fragment answering a mistake (4xx) carries the message for the person: show it.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && event.detail.target.closest(ours)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function drawer() {
    return document.querySelector("#buy-drawer");
  }

  function openDrawer({ sku, deal, offer }) {
    const params = new URLSearchParams({ sku });
    if (deal) params.set("deal", deal);
    if (offer) params.set("offer", offer);
    drawer().hidden = false;
    drawer().classList.add("open");
    htmx.ajax("GET", `/live/${room}/drawer?${params}`, { target: "#buy-drawer", swap: "innerHTML" });
  }

  function closeDrawer() {
    drawer().classList.remove("open");
    drawer().hidden = true;
    drawer().replaceChildren();
  }

  document.addEventListener("click", (event) => {
    const buy = event.target.closest("[data-buy-sku]");
    if (buy) {
      const picked = buy.parentElement.querySelector("select[name=sku]");
      openDrawer({
        sku: picked ? picked.value : buy.dataset.buySku,
        deal: buy.dataset.buyDeal,
        offer: buy.dataset.buyOffer,
      });
    } else if (event.target.closest("[data-drawer-close]")) {
      closeDrawer();
    }
  });

  function buyButton(sku, deal) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.textContent = words.buy || "Buy now";
    button.dataset.buySku = sku;
    if (deal) button.dataset.buyDeal = deal;
    return button;
  }

  // Viewers buy the pinned product (choosing its variant) and each flash deal from the room.
  function offerPinned() {
    const actions = document.querySelector("#pinned .live-pinned-actions");
    if (!actions || actions.childElementCount) return;
    const skus = [...document.querySelectorAll("#pinned .live-pinned-variants [data-sku]")];
    if (!skus.length) return;
    const select = document.createElement("select");
    select.name = "sku";
    select.setAttribute("aria-label", "Variant");
    for (const item of skus) select.add(new Option(item.firstChild.textContent.trim(), item.dataset.sku));
    actions.append(select, buyButton(skus[0].dataset.sku));
  }

  function offerDeals() {
    for (const card of document.querySelectorAll(".live-deal")) {
      const actions = card.querySelector(".live-deal-actions");
      if (actions && !actions.childElementCount) {
        actions.append(buyButton(card.dataset.sku, card.dataset.dealId));
      }
    }
  }

  const live = window.shoptideLive;
  const viewer = !location.pathname.startsWith("/seller/");
  if (live && viewer) {
    live.on("snapshot", () => { offerPinned(); offerDeals(); });
    live.on("pin", offerPinned);
    live.on("deal", offerDeals);
  }
  if (live) {
    live.on("offer", () => { load("#offer-inbox"); load("#offer-panel"); });
    for (const type of ["pin", "unpin"]) live.on(type, () => load("#offer-panel"));
    for (const type of ["deal", "deal_stock", "deal_ended", "status"]) {
      live.on(type, () => load("#deal-console"));
    }
  }
  Object.keys(fragments).forEach(load);
  window.shoptideCommerce = { openDrawer, closeDrawer };
})();
