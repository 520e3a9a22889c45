/* Wegweiser dashboard: draws the charts and makes the editors work without page reloads. */
(function () {
  "use strict";

  function drawCharts() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("script[data-chart]").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-chart"));
      if (!target) { return; }
      var figure = JSON.parse(node.textContent);
      window.Plotly.newPlot(target, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"]
      }).then(function () { target.setAttribute("data-drawn", "1"); });
    });
  }

  function renumber(list) {
    list.querySelectorAll(".step-row").forEach(function (row, k) {
      var no = row.querySelector(".step-no");
      if (no) { no.textContent = String(k + 1); }
      row.querySelectorAll("button[data-op]").forEach(function (button) {
        button.value = button.getAttribute("data-op") + ":" + k;
      });
    });
  }

  function funnelBuilder() {
    var form = document.getElementById("funnel-form");
    if (!form) { return; }
    var list = form.querySelector(".step-list");
    var max = parseInt(list.getAttribute("data-max") || "20", 10);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-op]");
      if (!button) { return; }
      event.preventDefault();
      var op = button.getAttribute("data-op");
      var row = button.closest(".step-row");
      var rows = list.querySelectorAll(".step-row");
      if (op === "add") {
        if (rows.length >= max) { return; }
        var fresh = rows[rows.length - 1].cloneNode(true);
        fresh.querySelector("input").value = "";
        list.appendChild(fresh);
        renumber(list);
        fresh.querySelector("input").focus();
        return;
      }
      if (op === "remove") {
        if (rows.length > 1) { row.remove(); } else { row.querySelector("input").value = ""; }
      } else if (op === "up" && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (op === "down" && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      renumber(list);
    });
  }

  function phaseEditor() {
    var body = document.getElementById("phase-rows");
    var add = document.getElementById("add-phase");
    if (!body || !add) { return; }
    add.hidden = false;
    function number() {
      body.querySelectorAll(".phase-row").forEach(function (row, k) {
        row.querySelector(".row-no").textContent = String(k + 1);
      });
    }
    body.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-row-op]");
      if (!button) { return; }
      var row = button.closest(".phase-row");
      var op = button.getAttribute("data-row-op");
      if (op === "remove") {
        row.remove();
      } else if (op === "up" && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (op === "down" && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      }
      number();
    });
    add.addEventListener("click", function () {
      var rows = body.querySelectorAll(".phase-row");
      var fresh = rows[rows.length - 1].cloneNode(true);
      fresh.classList.remove("has-error");
      fresh.querySelectorAll("input, textarea").forEach(function (field) { field.value = ""; });
      fresh.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
      body.appendChild(fresh);
      number();
      fresh.querySelector("input").focus();
    });
    number();
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  function copyLinks() {
    document.querySelectorAll("a[data-copy]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!navigator.clipboard) { return; }
        event.preventDefault();
        navigator.clipboard.writeText(link.href).then(function () {
          link.classList.add("copied");
        }, function () { window.location.href = link.href; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    funnelBuilder();
    phaseEditor();
    confirmations();
    copyLinks();
  });
}());
