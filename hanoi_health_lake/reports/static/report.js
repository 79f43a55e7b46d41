(function () {
  "use strict";
  var root = document.documentElement;
  var charts = JSON.parse(document.getElementById("hhl-charts").textContent);
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

  function draw(lang, first) {
    document.querySelectorAll("[data-chart]").forEach(function (div) {
      var fig = charts[div.getAttribute("data-chart")][lang];
      if (first) { Plotly.newPlot(div, fig.data, fig.layout, config); }
      else { Plotly.react(div, fig.data, fig.layout, config); }
    });
  }

  function setLang(lang, first) {
    root.lang = lang;
    document.title = root.getAttribute("data-title-" + lang);
    if (window.Plotly) { draw(lang, first); }
  }

  function cellValue(row, index) {
    var cell = row.children[index];
    return cell ? cell.getAttribute("data-v") || "" : "";
  }

  function sortTable(table, index, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = ["int", "share", "number", "hours"].indexOf(th.getAttribute("data-kind")) >= 0;
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }  // blanks last
      var result = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "vi");
      return ascending ? result : -result;
    });
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.addEventListener("click", function () { sortTable(table, index, th); });
    });
  });

  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.style.display = !needle || row.textContent.toLowerCase().indexOf(needle) >= 0 ? "" : "none";
      });
    });
  });

  var picker = document.getElementById("sc-select");
  if (picker) {
    var deck = document.querySelector(".scorecards");
    var show = function () {
      deck.classList.add("one");
      deck.querySelectorAll("article.scorecard").forEach(function (card) {
        card.classList.toggle("shown", card.getAttribute("data-facility") === picker.value);
      });
    };
    picker.addEventListener("change", show);
    show();
    document.getElementById("sc-print").addEventListener("click", function () {
      document.body.classList.add("print-card");
      window.print();
      document.body.classList.remove("print-card");
    });
  }

  document.getElementById("lang-toggle").addEventListener("click", function () {
    setLang(root.lang === "vi" ? "en" : "vi", false);
  });
  document.getElementById("print-page").addEventListener("click", function () { window.print(); });

  setLang(root.getAttribute("data-default-lang") === "en" ? "en" : "vi", true);
})();
