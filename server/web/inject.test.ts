import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeRegionFrom, escapeAttribute, parseTemplate, renderPage, TemplateError } from './inject.ts';

const html = '<!doctype html><html><head><title>x</title></head><body><div id="app"></div></body></html>';

test('renderPage writes the Machine and region on <body>', () => {
  const page = renderPage(parseTemplate(html), { machineId: '286533db064e58', region: 'ams', edgeRegion: null });
  assert.equal(
    page,
    '<!doctype html><html><head><title>x</title></head><body data-instance="286533db064e58" data-region="ams"><div id="app"></div></body></html>',
  );
});

test('renderPage adds the edge region when known and empty values off Fly', () => {
  const page = renderPage(parseTemplate(html), { machineId: null, region: null, edgeRegion: 'dfw' });
  assert.match(page, /<body data-instance="" data-region="" data-edge-region="dfw">/);
});

test('parseTemplate keeps attributes the built body already had, and only the first body tag', () => {
  const t = parseTemplate('<head></head><BODY class="x" ><p>&lt;body&gt;</p><body></body>');
  const page = renderPage(t, { machineId: 'a', region: 'b', edgeRegion: null });
  assert.equal(
    page,
    '<head></head><body class="x"  data-instance="a" data-region="b"><p>&lt;body&gt;</p><body></body>',
  );
});

test('parseTemplate does not mistake <bodyx> for <body>, and refuses a page without one', () => {
  assert.throws(() => parseTemplate('<html><bodyx></bodyx></html>'), TemplateError);
  assert.throws(() => parseTemplate(''), TemplateError);
});

test('escapeAttribute neutralises quotes and tags', () => {
  assert.equal(escapeAttribute('a"><script>&'), 'a&quot;&gt;&lt;script&gt;&amp;');
  const page = renderPage(parseTemplate(html), { machineId: '"x', region: '<y>', edgeRegion: null });
  assert.match(page, /data-instance="&quot;x" data-region="&lt;y&gt;"/);
});

test('edgeRegionFrom accepts region codes only', () => {
  const table: Array<[string | string[] | undefined, string | null]> = [
    ['ams', 'ams'],
    [['dfw', 'ams'], 'dfw'],
    [undefined, null],
    ['', null],
    ['a', null],
    ['AMS', null],
    ['ams"><x', null],
    ['x'.repeat(33), null],
  ];
  for (const [input, expected] of table) assert.equal(edgeRegionFrom(input), expected, String(input));
});
