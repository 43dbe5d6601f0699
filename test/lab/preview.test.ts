/** @jest-environment jsdom */
import { renderJsonTree, renderPreview } from '../../src/lab/preview';

const XSS = '<img src=x onerror=alert(1)>';

test('an Arrow table preview is an HTML table whose cells hold text, never markup', () => {
  const node = renderPreview({
    kind: 'table',
    columns: ['name', XSS],
    rows: [
      [XSS, 1],
      ['b', { nested: true }],
    ],
    totalRows: 10,
  });
  document.body.replaceChildren(node);
  expect(node.querySelectorAll('img, script')).toHaveLength(0);
  expect([...node.querySelectorAll('th')].map((th) => th.textContent)).toEqual(['name', XSS]);
  expect([...node.querySelectorAll('tbody td')].map((td) => td.textContent)).toEqual([
    XSS,
    '1',
    'b',
    '{"nested":true}',
  ]);
  expect(node.textContent).toContain('2 of 10 rows');
});

test('a JSON preview is a tree; strings inside it stay text', () => {
  const node = renderPreview({ kind: 'json', value: { html: XSS, list: [1, null, true] }, truncated: true });
  document.body.replaceChildren(node);
  expect(node.querySelectorAll('img')).toHaveLength(0);
  expect(node.querySelector('.cf-json-string')!.textContent).toBe(JSON.stringify(XSS));
  expect([...node.querySelectorAll('.cf-json-key')].map((k) => k.textContent)).toEqual([
    'html',
    'list',
    '0',
    '1',
    '2',
  ]);
  expect(node.querySelector('.cf-json-null')!.textContent).toBe('null');
  expect(node.textContent).toContain('Preview truncated.');
});

test('object keys are text too', () => {
  const node = renderJsonTree({ [XSS]: 1 });
  expect(node.querySelectorAll('img')).toHaveLength(0);
  expect(node.querySelector('.cf-json-key')!.textContent).toBe(XSS);
});

test('text and bytes previews are preformatted text', () => {
  const text = renderPreview({ kind: 'text', text: XSS });
  expect(text.tagName).toBe('PRE');
  expect(text.textContent).toBe(XSS);
  expect(text.children).toHaveLength(0);
  const bytes = renderPreview({ kind: 'bytes', length: 3, hexHead: '3c696d' });
  expect(bytes.textContent).toContain('3 bytes');
  expect(bytes.querySelector('pre')!.textContent).toBe('3c696d');
});

test('trees open to the requested depth', () => {
  const node = renderJsonTree({ a: { b: { c: 1 } } }, 1);
  const details = [...node.querySelectorAll('details')];
  expect(details.map((d) => d.open)).toEqual([true, false, false]);
});

test('records (an array of objects) preview as a table, keys as columns, values as text', () => {
  const node = renderPreview({
    kind: 'json',
    value: [
      { lr: 0.1, loss: 0.5 },
      { lr: 0.3, note: XSS },
    ],
    truncated: false,
  });
  document.body.replaceChildren(node);
  const table = node.querySelector('table.cf-preview-records')!;
  expect([...table.querySelectorAll('th')].map((th) => th.textContent)).toEqual(['lr', 'loss', 'note']);
  expect(
    [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
  ).toEqual([
    ['0.1', '0.5', ''],
    ['0.3', '', XSS],
  ]);
  expect(table.querySelectorAll('td.cf-missing')).toHaveLength(2);
  expect(node.querySelectorAll('img')).toHaveLength(0);
  expect(node.textContent).toContain('2 records');
});

test('arrays that are not records stay JSON trees', () => {
  for (const value of [[1, 2], [{ a: 1 }, 2], [[1]], [], [{ a: 1 }, null]]) {
    const node = renderPreview({ kind: 'json', value, truncated: false });
    expect(node.querySelector('table')).toBeNull();
    expect(node.querySelector('.cf-json-tree')).not.toBeNull();
  }
});
