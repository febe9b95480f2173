// The vigil dashboard: incident list, incident page and series explorer over the JSON API.
// Plots and incident pages are rendered (and escaped) by the server with the report's code; this
// script fetches them, wires hover and drill-down, and builds everything else with textContent.
(function () {
  'use strict';

  var view = document.getElementById('view');
  var meta = null;  // GET /api/metrics, loaded once
  var sequence = 0;  // the latest request whose answer a view still wants

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function errorBox(message) { return el('div', { class: 'error-box', role: 'alert', text: message }); }

  // fetch that turns the API's JSON errors into exceptions carrying their message.
  function request(url, options) {
    return fetch(url, options).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      var body = type.indexOf('json') >= 0 ? res.json() : res.text();
      return body.then(function (data) {
        if (!res.ok) {
          var message = data && data.error ? data.error.message : 'HTTP ' + res.status;
          throw new Error(message);
        }
        return data;
      });
    });
  }

  function parseHash() {
    var hash = location.hash.replace(/^#/, '') || '/incidents';
    var q = hash.indexOf('?');
    var path = q >= 0 ? hash.slice(0, q) : hash;
    var params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
    return { path: path, params: params };
  }

  function setHashQuery(path, params) {
    var text = params.toString();
    history.replaceState(null, '', '#' + path + (text ? '?' + text : ''));
  }

  function highlightNav(name) {
    document.querySelectorAll('[data-nav]').forEach(function (a) {
      a.classList.toggle('active', a.getAttribute('data-nav') === name);
    });
  }

  function formatTime(text) {
    if (!text) return 'ongoing';
    return window.vigilPlots.formatTime(Date.parse(text), meta ? meta.timezone : 'UTC');
  }

  function sliceText(slice) {
    var keys = Object.keys(slice || {});
    if (keys.length === 0) return 'all traffic';
    return keys.map(function (k) { return k + '=' + slice[k]; }).join(',');
  }

  function percent(change) {
    if (change === null || change === undefined) return '-';
    var p = 100 * change;
    return (p >= 0 ? '+' : '\u2212') + Math.abs(p).toFixed(Math.abs(p) >= 10 ? 0 : 1) + ' %';
  }

  function loadMeta() {
    return request('/api/metrics').then(function (m) {
      meta = m;
      var period = document.getElementById('data-period');
      period.textContent = m.events > 0
        ? formatTime(m.from) + ' \u2192 ' + formatTime(m.to) + ' \u00b7 ' + m.events.toLocaleString('en-US') + ' events'
        : 'no events stored yet';
    });
  }

  // ---- Incident list -------------------------------------------------------------------------

  function filterSelect(name, label, options, value, onChange) {
    var select = el('select', { name: name, 'aria-label': label, onchange: onChange });
    options.forEach(function (o) {
      var option = el('option', { value: o[0], text: o[1] });
      if (o[0] === value) option.selected = true;
      select.appendChild(option);
    });
    return el('label', {}, [label, select]);
  }

  function showIncidents(params) {
    highlightNav('incidents');
    var status = params.get('status') || '', severity = params.get('severity') || '', owner = params.get('owner') || '';
    var list = el('div', { class: 'loading', text: 'Loading incidents\u2026' });
    var count = el('div', { class: 'count' });
    var toolbar = el('div', { class: 'toolbar', id: 'filters' });
    view.replaceChildren(el('h2', { class: 'section-title', text: 'Incidents' }), toolbar, list);

    function update(e) {
      var p = new URLSearchParams();
      toolbar.querySelectorAll('select').forEach(function (s) { if (s.value) p.set(s.name, s.value); });
      setHashQuery('/incidents', p);
      showIncidents(p);
    }

    var query = new URLSearchParams();
    if (status) query.set('status', status);
    if (severity) query.set('severity', severity);
    if (owner) query.set('owner', owner);
    var ticket = ++sequence;
    request('/api/incidents?' + query.toString()).then(function (data) {
      if (ticket !== sequence) return;
      // Unrouted incidents have no owner to filter by; they show under "any owner".
      var owners = [['', 'any owner']].concat((data.owners || []).filter(function (o) { return o; })
        .map(function (o) { return [o, o]; }));
      toolbar.replaceChildren(
        filterSelect('status', 'Status', [['', 'any status'], ['open', 'open'], ['acknowledged', 'acknowledged'],
          ['resolved', 'resolved']], status, update),
        filterSelect('severity', 'Severity', [['', 'any severity'], ['critical', 'critical'], ['major', 'major'],
          ['minor', 'minor']], severity, update),
        filterSelect('owner', 'Owner', owners, owner, update),
        count);
      count.textContent = data.count + ' of ' + data.total + ' incidents';
      if (data.incidents.length === 0) {
        list.replaceWith(el('div', { class: 'empty-state', text: data.total === 0
          ? 'No incidents stored yet. Run `vigil run` (or `vigil detect`) on the store.'
          : 'No incident matches these filters.' }));
        return;
      }
      var body = el('tbody');
      data.incidents.forEach(function (inc) {
        var open = function () { location.hash = '#/incidents/' + encodeURIComponent(inc.id); };
        body.appendChild(el('tr', { 'data-id': inc.id, tabindex: '0', onclick: open,
          onkeydown: function (e) { if (e.key === 'Enter') open(); } }, [
          el('td', {}, [el('span', { class: 'badge sev sev-' + inc.severity, text: inc.severity })]),
          el('td', {}, [el('a', { href: '#/incidents/' + encodeURIComponent(inc.id), text: inc.metric }), ' ',
            el('span', { class: 'slice', text: sliceText(inc.slice) })]),
          el('td', { text: formatTime(inc.start) }),
          el('td', { class: 'num', text: percent(inc.relative_change) }),
          el('td', {}, [el('span', { class: 'badge status status-' + inc.status, text: inc.status })]),
          el('td', { text: inc.owner || 'unrouted' }),
          el('td', { class: 'summary-cell', text: (inc.summary || '').slice(0, 160) + ((inc.summary || '').length > 160 ? '\u2026' : '') })
        ]));
      });
      var head = el('thead', {}, [el('tr', {}, ['severity', 'incident', 'since', 'change', 'status', 'owner', 'summary']
        .map(function (h, i) { return el('th', { class: i === 3 ? 'num' : '', text: h }); }))]);
      list.replaceWith(el('table', { class: 'incidents' }, [head, body]));
    }).catch(function (e) { if (ticket === sequence) list.replaceWith(errorBox(e.message)); });
  }

  // ---- Incident page -------------------------------------------------------------------------

  function plotUrl(p) {
    var q = new URLSearchParams();
    Object.keys(p).forEach(function (k) { if (p[k] !== undefined && p[k] !== null && p[k] !== '') q.set(k, p[k]); });
    return '/ui/plot?' + q.toString();
  }

  function showSlice(article, row) {
    var detail = article.querySelector('.rc-detail');
    if (!detail) return;
    article.querySelectorAll('.rc.selected').forEach(function (r) { r.classList.remove('selected'); });
    row.classList.add('selected');
    detail.replaceChildren(el('div', { class: 'loading', text: 'Loading the slice\u2019s series\u2026' }));
    var d = row.dataset;
    request(plotUrl({ metric: d.metric, slice: d.slice, from: d.from, to: d.to,
                      granularity: d.granularity, onset: d.onset })).then(function (html) {
      var close = el('button', { type: 'button', text: 'Close', onclick: function () {
        detail.replaceChildren();
        row.classList.remove('selected');
      } });
      var explore = el('a', { href: '#/explore?' + new URLSearchParams({ metric: d.metric, slice: d.slice }).toString(),
                              text: 'Open in explorer' });
      var head = el('div', { class: 'detail-head' }, [el('h3', { text: 'Root-cause slice' }),
        el('div', {}, [explore, ' ', close])]);
      var body = el('div');
      body.innerHTML = html;  // rendered and escaped by the server
      detail.replaceChildren(head, body);
      window.vigilPlots.attach(detail);
    }).catch(function (e) { detail.replaceChildren(errorBox(e.message)); });
  }

  function feedbackForm(id, reload) {
    var verdict = el('select', { name: 'verdict', 'aria-label': 'Verdict' },
      [['true_positive', 'true positive'], ['false_positive', 'false positive'], ['duplicate', 'duplicate']]
        .map(function (o) { return el('option', { value: o[0], text: o[1] }); }));
    var note = el('input', { class: 'note', name: 'note', placeholder: 'note (optional)' });
    var token = el('input', { type: 'password', name: 'token', placeholder: 'server token', autocomplete: 'off' });
    token.value = sessionStorage.getItem('vigil-token') || '';
    var result = el('span', { class: 'result' });
    var submit = el('button', { type: 'submit', class: 'primary', text: 'Give feedback' });
    var form = el('form', { class: 'feedback-form', onsubmit: function (e) {
      e.preventDefault();
      sessionStorage.setItem('vigil-token', token.value);
      result.textContent = 'Sending\u2026';
      request('/api/incidents/' + encodeURIComponent(id) + '/feedback', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token.value },
        body: JSON.stringify({ verdict: verdict.value, note: note.value })
      }).then(function () { reload(); }).catch(function (err) { result.textContent = err.message; });
    } }, [el('b', { text: 'Was this right?' }), verdict, note, token, submit, result]);
    return form;
  }

  function showIncident(id) {
    highlightNav('incidents');
    var container = el('div', { class: 'loading', text: 'Loading incident\u2026' });
    view.replaceChildren(el('div', { class: 'crumbs' }, [
      el('a', { href: '#/incidents', text: '\u2190 All incidents' }),
      el('a', { href: '/api/incidents/' + encodeURIComponent(id), text: 'JSON', target: '_blank' })]), container);
    function load() {
      var ticket = ++sequence;
      request('/ui/incidents/' + encodeURIComponent(id)).then(function (html) {
        if (ticket !== sequence) return;
        var holder = el('div');
        holder.innerHTML = html;  // rendered and escaped by the server
        container.replaceWith(holder);
        container = holder;
        var article = holder.querySelector('article.incident');
        window.vigilPlots.attach(holder);
        holder.querySelectorAll('.rc[role="button"]').forEach(function (row) {
          row.addEventListener('click', function () { showSlice(article, row); });
          row.addEventListener('keydown', function (e) {
            if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); showSlice(article, row); }
          });
        });
        if (article) article.appendChild(feedbackForm(id, load));
      }).catch(function (e) { container.replaceWith(errorBox(e.message)); });
    }
    load();
  }

  // ---- Series explorer -----------------------------------------------------------------------

  function showExplore(params) {
    highlightNav('explore');
    if (!meta || meta.events === 0) {
      view.replaceChildren(el('div', { class: 'empty-state', text: 'No events stored yet.' }));
      return;
    }
    var metric = params.get('metric') || (meta.metrics[0] && meta.metrics[0].name);
    var chosen = {};
    (params.get('slice') || '').split(',').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq > 0) chosen[part.slice(0, eq)] = part.slice(eq + 1);
    });
    var toolbar = el('form', { class: 'toolbar', id: 'explore-form', onsubmit: function (e) { e.preventDefault(); } });
    var metricSelect = el('select', { name: 'metric', 'aria-label': 'Metric' }, meta.metrics.map(function (m) {
      var o = el('option', { value: m.name, text: m.name + (m.unit ? ' (' + m.unit + ')' : '') });
      if (m.name === metric) o.selected = true;
      return o;
    }));
    toolbar.appendChild(el('label', {}, ['Metric', metricSelect]));
    var dimensionInputs = [];
    meta.dimensions.forEach(function (d) {
      var input;
      if (d.values.length <= 300) {
        input = el('select', { name: 'dim', 'data-dimension': d.name, 'aria-label': d.name },
          [el('option', { value: '', text: 'any' })].concat(d.values.map(function (v) {
            var o = el('option', { value: v, text: v });
            if (chosen[d.name] === v) o.selected = true;
            return o;
          })));
      } else {
        input = el('input', { name: 'dim', 'data-dimension': d.name, placeholder: 'any', 'aria-label': d.name });
        input.value = chosen[d.name] || '';
      }
      dimensionInputs.push(input);
      toolbar.appendChild(el('label', {}, [d.name, input]));
    });
    var granularity = el('select', { name: 'granularity', 'aria-label': 'Granularity' },
      [['', 'monitor\u2019s'], ['5m', '5 min'], ['15m', '15 min'], ['1h', '1 hour'], ['6h', '6 hours'], ['1d', '1 day']]
        .map(function (o) {
          var option = el('option', { value: o[0], text: o[1] });
          if ((params.get('granularity') || '') === o[0]) option.selected = true;
          return option;
        }));
    toolbar.appendChild(el('label', {}, ['Granularity', granularity]));
    var from = el('input', { type: 'date', name: 'from', 'aria-label': 'From' });
    var to = el('input', { type: 'date', name: 'to', 'aria-label': 'To' });
    from.value = (params.get('from') || '').slice(0, 10);
    to.value = (params.get('to') || '').slice(0, 10);
    toolbar.appendChild(el('label', {}, ['From (UTC)', from]));
    toolbar.appendChild(el('label', {}, ['To (UTC)', to]));
    var plot = el('div', { class: 'explore-plot' });
    view.replaceChildren(el('h2', { class: 'section-title', text: 'Explore a series' }), toolbar, plot);

    function refresh() {
      var slice = dimensionInputs.filter(function (i) { return i.value; })
        .map(function (i) { return i.getAttribute('data-dimension') + '=' + i.value; }).join(',');
      var p = new URLSearchParams();
      p.set('metric', metricSelect.value);
      if (slice) p.set('slice', slice);
      if (granularity.value) p.set('granularity', granularity.value);
      if (from.value) p.set('from', from.value);
      if (to.value) p.set('to', to.value);
      setHashQuery('/explore', p);
      plot.replaceChildren(el('div', { class: 'loading', text: 'Loading\u2026' }));
      var ticket = ++sequence;
      request('/ui/plot?' + p.toString()).then(function (html) {
        if (ticket !== sequence) return;  // a later choice is already on its way
        var body = el('div');
        body.innerHTML = html;  // rendered and escaped by the server
        var json = el('a', { href: '/api/series?' + p.toString(), target: '_blank', text: 'this series as JSON' });
        plot.replaceChildren(body, el('div', { class: 'explore-meta' }, ['Hover for values \u00b7 ', json]));
        window.vigilPlots.attach(plot);
      }).catch(function (e) { if (ticket === sequence) plot.replaceChildren(errorBox(e.message)); });
    }
    toolbar.addEventListener('change', refresh);
    refresh();
  }

  // ---- Router --------------------------------------------------------------------------------

  function route() {
    var h = parseHash();
    if (h.path.indexOf('/incidents/') === 0) showIncident(decodeURIComponent(h.path.slice('/incidents/'.length)));
    else if (h.path === '/explore') showExplore(h.params);
    else showIncidents(h.params);
  }

  window.addEventListener('hashchange', route);
  loadMeta().catch(function (e) {
    document.getElementById('data-period').textContent = e.message;
  }).then(route);
})();
