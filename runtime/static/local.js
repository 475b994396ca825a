// Shows each <time datetime=…> also in the viewer's own zone. The page
// reads fine without it: every time is written in UTC or a named zone.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", timeZoneName: "short" };
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    var span = document.createElement("span");
    span.className = "local";
    span.textContent = "(" + when.toLocaleString(undefined, options) + " your time)";
    el.after(span);
  });
  document.querySelectorAll(".viewer-zone").forEach(function (el) {
    el.textContent = "your zone is " + Intl.DateTimeFormat().resolvedOptions().timeZone;
  });
});
