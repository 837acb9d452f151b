#include "report/html_script.h"

namespace jouleval::report {

const char* const kErrorCaptureScript = R"JS(
window.__jouleval_errors = [];
window.addEventListener('error', function (e) { window.__jouleval_errors.push('error: ' + (e.message || e)); });
window.addEventListener('unhandledrejection', function (e) {
  window.__jouleval_errors.push('unhandled rejection: ' + (e.reason && e.reason.message ? e.reason.message : e.reason));
});
(function () {
  var original = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) parts.push(String(arguments[i]));
    window.__jouleval_errors.push('console.error: ' + parts.join(' '));
    return original.apply(console, arguments);
  };
})();
)JS";

const char* const kEmbedScript = R"JS(
(function () {
  var check = document.getElementById('render-check');
  // The page's one number format (C++: report/charts.h page_number): about 3 significant digits,
  // trailing zeros dropped, no exponent between 1e-6 and 1e6.
  function joulevalNumber(value) {
    if (value === null || value === undefined || value === '') return '';
    var v = +value;
    if (!isFinite(v)) return 'n/a';
    if (v === 0) return '0';
    var mag = Math.floor(Math.log10(Math.abs(v)));
    function trim(s) { return s.indexOf('.') < 0 ? s : s.replace(/0+$/, '').replace(/\.$/, ''); }
    if (mag >= 6 || mag < -6) {
      var parts = v.toExponential(2).split('e');
      var exp = parts[1].slice(1);
      return trim(parts[0]) + 'e' + parts[1][0] + (exp.length < 2 ? '0' + exp : exp);
    }
    return trim(v.toFixed(Math.max(0, 2 - mag)));
  }
  // Splits a label into lines of at most `width` characters at spaces (a longer word is cut).
  function joulevalWrap(label, width) {
    var text = String(label === null || label === undefined ? '' : label);
    if (text.length <= width) return text;
    var lines = [], line = '';
    text.split(' ').forEach(function (word) {
      while (word.length > width) {
        if (line) { lines.push(line); line = ''; }
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= width) line += ' ' + word;
      else { lines.push(line); line = word; }
    });
    if (line) lines.push(line);
    return lines;
  }
  window.joulevalNumber = joulevalNumber;
  // Every chart gets this config: the number format above for axes, legends, text and tooltips.
  var pageConfig = {customFormatTypes: true, numberFormat: 'jouleval', numberFormatType: 'joulevalNumber',
                    font: 'system-ui, sans-serif', axis: {labelSeparation: 4}};
  // Text that leaves its chart, a table wider than its box or the page, a cell whose text overflows
  // it, a label cut short ("…"): each one listed in the render check.
  function overflowCheck() {
    var out = [];
    var pageWidth = document.documentElement.clientWidth;
    // Vega hides overlapping axis labels (labelOverlap) by setting their opacity to 0.
    function hidden(t) { return t.getAttribute('opacity') === '0' || getComputedStyle(t).opacity === '0'; }
    function where(el) { var c = el.closest('[id]'); return c ? c.id : el.tagName.toLowerCase(); }
    if (document.documentElement.scrollWidth > pageWidth + 1)
      out.push({what: 'page wider than the window', width: document.documentElement.scrollWidth, page: pageWidth});
    document.querySelectorAll('div.chart svg').forEach(function (svg) {
      var b = svg.getBoundingClientRect();
      var id = where(svg);
      if (b.right > pageWidth + 1) out.push({chart: id, what: 'chart wider than the page', right: Math.round(b.right)});
      svg.querySelectorAll('text').forEach(function (t) {
        var s = t.textContent;
        if (!s.trim() || hidden(t)) return;
        var r = t.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return;
        if (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1)
          out.push({chart: id, what: 'text outside the chart', text: s});
        if (r.right > pageWidth + 1) out.push({chart: id, what: 'text beyond the page width', text: s});
        if (s.slice(-1) === '\u2026') out.push({chart: id, what: 'label cut short', text: s});
        // A number of nothing: what an empty chart's legend shows.
        if (/NaN|undefined|^n\/a$/.test(s)) out.push({chart: id, what: 'empty value in a chart', text: s});
      });
    });
    // Labels of one axis or legend that overlap each other.
    document.querySelectorAll('div.chart svg g.role-axis-label, div.chart svg g.role-legend-label').forEach(function (g) {
      var boxes = [];
      g.querySelectorAll('text').forEach(function (t) {
        var r = t.getBoundingClientRect();
        if (r.width > 0 && t.textContent.trim() && !hidden(t)) boxes.push({r: r, text: t.textContent});
      });
      for (var i = 0; i < boxes.length; i++)
        for (var j = i + 1; j < boxes.length; j++) {
          var a = boxes[i].r, b = boxes[j].r;
          // Side by side, labels that touch read as one: they count too.
          if (a.left < b.right + 1 && b.left < a.right + 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
            out.push({chart: where(g), what: 'labels overlap', text: boxes[i].text + ' / ' + boxes[j].text});
        }
    });
    document.querySelectorAll('table').forEach(function (table) {
      var r = table.getBoundingClientRect();
      if (r.width === 0) return;
      var box = table.parentElement.getBoundingClientRect();
      if (r.right > pageWidth + 1 || r.right > box.right + 1)
        out.push({table: where(table), what: 'table wider than the page', right: Math.round(r.right)});
      table.querySelectorAll('td, th').forEach(function (cell) {
        if (cell.offsetWidth === 0) return;
        if (cell.scrollWidth > cell.clientWidth + 1)
          out.push({table: where(table), what: 'text wider than its cell', text: cell.textContent.slice(0, 80)});
      });
    });
    document.querySelectorAll('figcaption, p, h1, h2, pre:not([hidden])').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > pageWidth + 1 || el.scrollWidth > el.clientWidth + 1))
        out.push({what: 'text wider than the page', text: el.textContent.slice(0, 80)});
    });
    return out;
  }
  function finish(results) {
    var sizes = [];
    var rendered = 0;
    document.querySelectorAll('div.chart').forEach(function (div) {
      var el = div.querySelector('svg, canvas');
      var w = 0, h = 0;
      if (el) { var r = el.getBoundingClientRect(); w = Math.round(r.width); h = Math.round(r.height); }
      if (el && w > 0 && h > 0) rendered++;
      sizes.push({id: div.id, element: el ? el.tagName.toLowerCase() : null, width: w, height: h});
    });
    var samples = [0, 780, 728.4, 2322.819056, 4100, 0.25, 0.0523, 1.5, 999.6, 1000, 0.001, -12.345, 1234567, 0.00000012];
    check.textContent = JSON.stringify({status: 'done', charts: sizes.length, rendered: rendered, sizes: sizes,
                                        errors: window.__jouleval_errors, overflow: overflowCheck(),
                                        page_width: document.documentElement.clientWidth,
                                        page_height: document.documentElement.scrollHeight,
                                        format_samples: samples, formatted: samples.map(joulevalNumber)});
  }
  try {
    if (typeof vegaEmbed !== 'function' || typeof vega === 'undefined') throw new Error('vega-embed did not load');
    vega.expressionFunction('joulevalNumber', joulevalNumber);
    vega.expressionFunction('joulevalWrap', joulevalWrap);
    var specs = JSON.parse(document.getElementById('jouleval-specs').textContent);
    var jobs = Object.keys(specs).map(function (id) {
      var spec = specs[id];
      spec.config = Object.assign({}, pageConfig, spec.config || {});
      return vegaEmbed('#' + id, spec, {renderer: 'svg', actions: false}).catch(function (e) {
        console.error('chart ' + id + ': ' + (e && e.message ? e.message : e));
      });
    });
    Promise.all(jobs).then(finish, finish);
  } catch (e) {
    console.error(e && e.message ? e.message : String(e));
    finish([]);
  }
})();
)JS";

const char* const kSortScript = R"JS(
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('data-sort') !== 'asc';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-sort'); });
      th.setAttribute('data-sort', asc ? 'asc' : 'desc');
      function key(row) {
        var cell = row.cells[col];
        var v = cell.getAttribute('data-v');
        return v === null ? cell.textContent : (v === '' ? NaN : parseFloat(v));
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (typeof x === 'number' && typeof y === 'number') {
          if (isNaN(x)) return 1;
          if (isNaN(y)) return -1;
          return asc ? x - y : y - x;
        }
        return asc ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.querySelectorAll('input[data-show-all]').forEach(function (box) {
  box.addEventListener('change', function () {
    var table = document.getElementById(box.getAttribute('data-show-all'));
    if (table) table.classList.toggle('all', box.checked);
  });
});
)JS";

}  // namespace jouleval::report
