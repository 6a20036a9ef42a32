// Live updates for a transcript page that is still live or upcoming (progressive enhancement:
// the page is complete without this script). It follows /s/{slug}/events from the offset the
// page was rendered at; on new or corrected answers it fetches the page again (served from the
// server's cache), adds new answers at the end of the list and updates corrected ones in place,
// and announces them in a polite live region. The reader's scroll position is left alone.
(function () {
  "use strict";
  var main = document.querySelector("main[data-slug]");
  if (!main || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var list = document.getElementById("entries");
  var notice = document.getElementById("live-notice");
  if (!list || !notice) return;
  var wanted = Number(main.getAttribute("data-offset")) || 0;
  var timer = null, tries = 0, added = 0, corrected = 0, firstNew = null;
  var url = "/s/" + encodeURIComponent(main.getAttribute("data-slug")) + "/events?since=" + wanted;
  var source = new EventSource(url);

  source.onmessage = function (ev) {
    var offset = Number(ev.lastEventId) || 0;
    if (offset > wanted) wanted = offset;
    schedule(300 + Math.random() * 1200);
  };
  source.addEventListener("reload", function () {
    source.close();
    say(main.getAttribute("data-reload"), null);
  });

  function schedule(ms) {
    if (!timer) timer = setTimeout(refresh, ms);
  }

  function refresh() {
    timer = null;
    fetch(location.pathname + location.search, { cache: "no-cache", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main[data-slug]");
        var got = fresh ? Number(fresh.getAttribute("data-offset")) || 0 : wanted;
        apply(doc);
        if (got < wanted && tries < 8) { tries += 1; schedule(500); } else { tries = 0; }
        if (!fresh) source.close();
      })
      .catch(function () { if (tries < 8) { tries += 1; schedule(2000); } });
  }

  function apply(doc) {
    var status = doc.getElementById("status"), mine = document.getElementById("status");
    if (status && mine && status.innerHTML !== mine.innerHTML) mine.replaceWith(document.importNode(status, true));
    var incoming = doc.getElementById("entries");
    if (!incoming) return;
    var items = incoming.children;
    for (var i = 0; i < items.length; i++) {
      var li = items[i], existing = document.getElementById(li.id);
      if (!existing) {
        list.appendChild(document.importNode(li, true));
        added += 1;
        if (!firstNew) firstNew = li.id;
      } else if (existing.innerHTML !== li.innerHTML) {
        existing.replaceWith(document.importNode(li, true));
        corrected += 1;
      }
    }
    var none = document.getElementById("none");
    if (none && list.children.length) none.remove();
    var heading = doc.getElementById("ans-h"), myHeading = document.getElementById("ans-h");
    if (heading && myHeading) myHeading.textContent = heading.textContent;
    announce();
  }

  function announce() {
    if (!added && !corrected) return;
    var parts = [];
    if (added === 1) parts.push(main.getAttribute("data-new-one"));
    else if (added > 1) parts.push(main.getAttribute("data-new-many").replace("{n}", String(added)));
    if (corrected) parts.push(main.getAttribute("data-corrected"));
    say(parts.join(". "), added ? firstNew : null);
  }

  function say(text, target) {
    notice.textContent = "";
    notice.appendChild(document.createTextNode(text + " "));
    if (target) {
      var a = document.createElement("a");
      a.href = "#" + target;
      a.textContent = main.getAttribute("data-show");
      a.addEventListener("click", function () { added = 0; corrected = 0; firstNew = null; notice.textContent = ""; });
      notice.appendChild(a);
    }
  }
})();
