// Drives the vigil dashboard in headless Chromium: the incident list and its filters, an incident
// page (plot, hover values, root causes, drill-down into a root-cause slice, attribution bars when
// an incident has them) and the series explorer; then, given a report file, the report opened
// from disk. Usage:
// node dashboard.mjs BASE_URL OUT_DIR [REPORT_HTML]  (screenshots go to OUT_DIR).
// Exits non-zero with the failed checks listed.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outDir, report] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node dashboard.mjs BASE_URL OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const failures = [];
let passed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failures.push(name + (detail ? ` (${detail})` : ''));
}

// The flags Debian's Chromium needs on a machine without network; Playwright gives each launch
// a new, empty profile folder.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });

  // The incident list.
  await page.goto(base + '/#/incidents');
  await page.waitForSelector('table.incidents tbody tr');
  const rows = await page.locator('table.incidents tbody tr').count();
  check('the incident list shows the stored incidents', rows > 0, `${rows} rows`);
  const period = await page.locator('#data-period').textContent();
  check('the header shows the data period', /events/.test(period), period);

  // Filters narrow the list through the API.
  await page.selectOption('select[name=severity]', 'critical');
  await page.waitForFunction(() => {
    const badges = [...document.querySelectorAll('table.incidents tbody .badge.sev')];
    return badges.length > 0 && badges.every((b) => b.textContent === 'critical');
  });
  check('the severity filter keeps only critical incidents', page.url().includes('severity=critical'), page.url());
  await page.selectOption('select[name=status]', 'open');
  await page.waitForSelector('.empty-state, table.incidents');
  await page.selectOption('select[name=status]', '');
  await page.selectOption('select[name=severity]', '');
  await page.waitForFunction((n) => document.querySelectorAll('table.incidents tbody tr').length === n, rows);

  // Open the first incident with stages (a latency regression), else the first.
  const withStages = await page.evaluate(async () => {
    const list = await (await fetch('/api/incidents')).json();
    for (const inc of list.incidents) {
      const doc = await (await fetch('/api/incidents/' + encodeURIComponent(inc.id))).json();
      if (doc.stages && doc.stages.length > 0) return inc.id;
    }
    return list.incidents[0].id;
  });
  await page.click(`table.incidents tbody tr[data-id="${withStages}"]`);
  await page.waitForSelector('article.incident figure.plot svg path.observed');
  check('the incident page opened', page.url().includes('#/incidents/' + withStages), page.url());
  const plot = page.locator('article.incident > figure.plot').first();
  check('the plot draws the expected band', (await plot.locator('path.band').count()) > 0);
  check('the plot marks the onset', (await plot.locator('line.onset').count()) === 1);
  check('the plot shades the anomaly', (await plot.locator('rect.shade').count()) > 0);
  const zone = await plot.locator('text.zone').textContent();
  check('the time axis names its zone', /time \(/.test(zone), zone);
  const causes = page.locator('.root-causes .rc');
  check('root causes are listed', (await causes.count()) > 0);
  const barWidth = await causes.first().locator('.bar span').evaluate((s) => s.getBoundingClientRect().width);
  check('the root-cause bar has a width', barWidth > 0, `${barWidth}px`);
  check('stage bars are drawn', (await page.locator('.stages .stage .bar').count()) > 0);
  const summary = await page.locator('article.incident p.summary').textContent();
  check('the summary is shown', summary.length > 20, summary);

  // Hover shows the values under the cursor.
  const box = await plot.locator('svg').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
  const tip = plot.locator('.plot-tip');
  await tip.waitFor({ state: 'visible' });
  const tipText = await tip.textContent();
  check('hovering the plot shows observed and expected values', /observed/.test(tipText) && /expected/.test(tipText), tipText);

  // A root cause opens its own series.
  await causes.first().click();
  await page.waitForSelector('.rc-detail figure.plot svg path.observed');
  const detailTitle = await page.locator('.rc-detail .plot-title').textContent();
  check('clicking a root cause plots its slice', detailTitle.length > 0, detailTitle);
  await page.screenshot({ path: join(outDir, 'incident.png'), fullPage: true });

  // An incident whose document carries attributions (a multivariate model covers its slice)
  // draws them as bars, largest share first, at most eight.
  const withAttributions = await page.evaluate(async () => {
    const list = await (await fetch('/api/incidents')).json();
    for (const inc of list.incidents) {
      const doc = await (await fetch('/api/incidents/' + encodeURIComponent(inc.id))).json();
      if (doc.attributions && doc.attributions.features.length > 0) return doc;
    }
    return null;
  });
  if (withAttributions) {
    await page.goto(base + '/#/incidents/' + encodeURIComponent(withAttributions.id));
    await page.waitForSelector('article.incident .attributions .attribution');
    const expected = withAttributions.attributions.features.map((f, i) => [f, i])
      .sort((a, b) => Math.abs(b[0].value) - Math.abs(a[0].value) || a[1] - b[1])
      .slice(0, 8).map((p) => p[0].metric);
    const names = await page.locator('.attributions .attribution-name').allTextContents();
    check('attribution bars name the metrics, largest share first', names.join() === expected.join(),
          names.join());
    const width = await page.locator('.attributions .attribution .bar span').first()
      .evaluate((s) => s.getBoundingClientRect().width);
    check('the largest attribution bar has a width', width > 0, `${width}px`);
    await page.screenshot({ path: join(outDir, 'attributions.png'), fullPage: true });
  }

  // The explorer: pick a metric and a slice.
  await page.click('a[data-nav=explore]');
  await page.waitForSelector('#explore-form select[name=metric]');
  await page.selectOption('#explore-form select[name=metric]', 'e2e_p95');
  await page.selectOption('#explore-form select[data-dimension=platform]', 'watchOS');
  await page.waitForFunction(() => {
    const t = document.querySelector('.explore-plot .plot-title');
    return t && t.textContent.includes('e2e_p95') && t.textContent.includes('platform=watchOS');
  });
  check('the explorer plots the chosen metric and slice',
        (await page.locator('.explore-plot svg path.observed').count()) > 0);
  check('the explorer keeps its state in the address', page.url().includes('metric=e2e_p95'), page.url());
  await page.screenshot({ path: join(outDir, 'explore.png'), fullPage: true });

  check('no script errors on the dashboard', pageErrors.length === 0, pageErrors.join('; '));

  // The report file, opened from disk with every request to the network refused.
  if (report) {
    pageErrors.length = 0;
    const requests = [];
    await page.route(/^https?:/, (route) => { requests.push(route.request().url()); route.abort(); });
    await page.goto('file://' + report);
    const plots = await page.locator('article.incident figure.plot svg path.observed').count();
    check('the report draws a plot per incident', plots > 0 && plots === await page.locator('article.incident').count(),
          `${plots} plots`);
    const first = page.locator('article.incident figure.plot').first();
    const area = await first.locator('svg').boundingBox();
    await page.mouse.move(area.x + area.width * 0.5, area.y + area.height * 0.5);
    await first.locator('.plot-tip').waitFor({ state: 'visible' });
    check('the report shows values on hover', /observed/.test(await first.locator('.plot-tip').textContent()));
    check('the report fetched nothing', requests.length === 0, requests.join(' '));
    check('no script errors in the report', pageErrors.length === 0, pageErrors.join('; '));
    await page.screenshot({ path: join(outDir, 'report.png'), fullPage: true });
  }
} catch (e) {
  failures.push('unexpected: ' + e.message.split('\n')[0]);
  if (page) await page.screenshot({ path: join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}

for (const f of failures) console.log('FAIL: ' + f);
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
