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
    check.textContent = JSON.stringify({status: 'done', charts: sizes.length, rendered: rendered, sizes: sizes,
                                        errors: window.__jouleval_errors});
  }
  try {
    if (typeof vegaEmbed !== 'function') throw new Error('vega-embed did not load');
    var specs = JSON.parse(document.getElementById('jouleval-specs').textContent);
    var jobs = Object.keys(specs).map(function (id) {
      return vegaEmbed('#' + id, specs[id], {renderer: 'svg', actions: false}).catch(function (e) {
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
)JS";

}  // namespace jouleval::report
