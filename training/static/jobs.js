// Job page: asks for the job's progress every 2 seconds and updates the bar; reloads the page
// once the job has finished (the download button or the reason then shows). Without
// JavaScript the page's 「最新の状態を表示する」 link does the same by hand.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status-url");
  var bar = document.getElementById("job-progress");
  var text = box.querySelector("[data-job-text]");
  var label = box.querySelector("[data-job-label]");
  var percent = box.querySelector("[data-job-percent]");
  function show(state) {
    if (state.total) { bar.max = state.total; bar.value = state.done; }
    bar.textContent = state.percent + "%";
    percent.textContent = state.percent + "%";
    label.textContent = state.label;
    if (text.textContent !== state.text) { text.textContent = state.text; }
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) { window.location.reload(); } else { window.setTimeout(tick, 2000); }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
}());
