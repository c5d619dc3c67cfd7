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
      const picked = buy.closest("form, .pinned, .deal")?.querySelector("select[name=sku]");
      openDrawer({
        sku: picked ? picked.value : buy.dataset.buySku,
        deal: buy.dataset.buyDeal,
        offer: buy.dataset.buyOffer,
      });
    } else if (event.target.closest("[data-drawer-close]")) {
      closeDrawer();
    }
  });

  const live = window.shoptideLive;
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
