// Hover values on vigil's server-rendered plots. Each <figure class="plot"> carries its data and
// geometry in data-plot; this script draws a cursor and a tooltip. Used by the report file and
// the dashboard (which calls vigilPlots.attach after inserting new plots).
(function () {
  'use strict';

  function number(v, decimals) {
    return v.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
  }

  function formatValue(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    if (unit === 'ratio') return number(100 * v, Math.abs(v) >= 0.1 ? 1 : 2) + ' %';
    if (unit === 'ms') return number(v, Math.abs(v) >= 100 ? 0 : 1) + ' ms';
    var text = number(v, Math.abs(v) >= 100 ? 0 : 2);
    return unit ? text + ' ' + unit : text;
  }

  var formatters = {};
  function formatTime(t, tz) {
    if (!formatters[tz]) {
      try {
        formatters[tz] = new Intl.DateTimeFormat('en-GB', {
          timeZone: tz, year: 'numeric', month: 'short', day: 'numeric',
          hour: '2-digit', minute: '2-digit', hourCycle: 'h23', weekday: 'short'
        });
      } catch (e) {
        formatters[tz] = { format: function (d) { return d.toISOString().slice(0, 16).replace('T', ' '); } };
      }
    }
    return formatters[tz].format(new Date(t)) + ' ' + (tz === 'UTC' ? 'UTC' : '(' + tz + ')');
  }

  function row(label, value) {
    var div = document.createElement('div');
    div.className = 'tip-row';
    var a = document.createElement('span');
    a.textContent = label;
    var b = document.createElement('b');
    b.textContent = value;
    div.appendChild(a);
    div.appendChild(b);
    return div;
  }

  function attach(figure) {
    if (figure.getAttribute('data-bound')) return;
    figure.setAttribute('data-bound', '1');
    var d;
    try { d = JSON.parse(figure.getAttribute('data-plot')); } catch (e) { return; }
    var svg = figure.querySelector('svg');
    var hover = svg && svg.querySelector('.hover');
    if (!hover || !d.v || d.v.length === 0) return;
    var line = hover.querySelector('.hover-line');
    var dot = hover.querySelector('.hover-dot');
    var tip = document.createElement('div');
    tip.className = 'plot-tip';
    figure.appendChild(tip);
    var n = d.v.length;
    var timeOf = function (i) { return d.t ? d.t[i] : d.t0 + i * d.g; };
    var xOf = function (t) { return d.x0 + (t - d.T0) / (d.T1 - d.T0) * (d.x1 - d.x0); };
    var yOf = function (v) { return d.bottom - (v - d.y0) / (d.y1 - d.y0) * (d.bottom - d.top); };

    function nearest(t) {
      var lo = 0, hi = n - 1;
      while (lo < hi) {  // first point whose bucket middle is at or after t
        var mid = (lo + hi) >> 1;
        if (timeOf(mid) + d.g / 2 < t) lo = mid + 1; else hi = mid;
      }
      if (lo > 0 && Math.abs(timeOf(lo - 1) + d.g / 2 - t) < Math.abs(timeOf(lo) + d.g / 2 - t)) lo -= 1;
      return lo;
    }

    function hide() {
      hover.style.display = 'none';
      tip.style.display = 'none';
    }

    function show(ev) {
      var box = svg.getBoundingClientRect();
      var scale = d.w / box.width;
      var x = (ev.clientX - box.left) * scale;
      if (x < d.x0 || x > d.x1) { hide(); return; }
      var t = d.T0 + (x - d.x0) / (d.x1 - d.x0) * (d.T1 - d.T0);
      var i = nearest(t);
      var px = xOf(timeOf(i) + d.g / 2);
      line.setAttribute('x1', px);
      line.setAttribute('x2', px);
      var v = d.v[i];
      if (v !== null && isFinite(v)) {
        dot.setAttribute('cx', px);
        dot.setAttribute('cy', yOf(v));
        dot.style.display = '';
      } else {
        dot.style.display = 'none';
      }
      hover.style.display = 'block';
      tip.textContent = '';
      var when = document.createElement('div');
      when.className = 'tip-time';
      when.textContent = formatTime(timeOf(i), d.tz);
      tip.appendChild(when);
      tip.appendChild(row('observed', formatValue(v, d.unit)));
      tip.appendChild(row('expected', formatValue(d.e[i], d.unit)));
      if (d.lo[i] !== null && d.hi[i] !== null) {
        tip.appendChild(row('band', formatValue(d.lo[i], d.unit) + ' – ' + formatValue(d.hi[i], d.unit)));
      }
      tip.style.display = 'block';
      var figureBox = figure.getBoundingClientRect();
      var left = px / scale + (box.left - figureBox.left);
      var width = tip.offsetWidth;
      tip.style.left = (left + 14 + width > figureBox.width ? left - 14 - width : left + 14) + 'px';
      tip.style.top = Math.max(0, ev.clientY - figureBox.top - 30) + 'px';
    }

    svg.addEventListener('mousemove', show);
    svg.addEventListener('mouseleave', hide);
  }

  function attachAll(root) {
    var figures = (root || document).querySelectorAll('figure.plot[data-plot]');
    for (var i = 0; i < figures.length; i++) attach(figures[i]);
  }

  window.vigilPlots = { attach: attachAll, formatValue: formatValue, formatTime: formatTime };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { attachAll(document); });
  } else {
    attachAll(document);
  }
})();
