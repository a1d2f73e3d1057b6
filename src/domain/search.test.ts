import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_QUERY_WORDS, byRelevance, parseSearchQuery, snippetOf } from './search.js';

describe('parseSearchQuery', () => {
  it('cuts words and quoted phrases, lower-cased, with no syntax of its own', () => {
    assert.deepEqual(parseSearchQuery('Harbour  CRANE'), [['harbour'], ['crane']]);
    assert.deepEqual(parseSearchQuery('meet "at the PIER" now'), [['meet'], ['at', 'the', 'pier'], ['now']]);
    assert.deepEqual(parseSearchQuery('"unpaired quote'), [['unpaired'], ['quote']]);
    assert.deepEqual(parseSearchQuery('a AND b* -c {x}:'), [['a'], ['and'], ['b'], ['c'], ['x']]);
    assert.deepEqual(parseSearchQuery('Straße 東京 नमस्ते'), [['straße'], ['東京'], ['नमस्ते']]);
  });

  it('refuses a query without words or with too many', () => {
    assert.equal(parseSearchQuery(''), undefined);
    assert.equal(parseSearchQuery(' "" !!! '), undefined);
    assert.equal(parseSearchQuery(Array.from({ length: MAX_QUERY_WORDS + 1 }, () => 'w').join(' ')), undefined);
    assert.equal(parseSearchQuery(Array.from({ length: MAX_QUERY_WORDS }, () => 'w').join(' '))?.length, MAX_QUERY_WORDS);
  });
});

describe('snippetOf', () => {
  it('marks every matched word of a short body', () => {
    assert.deepEqual(snippetOf('Harbour, harbours and the harbour', [['harbour']]), { text: 'Harbour, harbours and the harbour', highlights: [[0, 7], [26, 33]] });
  });

  it('cuts a long body around the first match on word boundaries', () => {
    const body = `${'alpha '.repeat(50)}target ${'omega '.repeat(50)}`;
    const s = snippetOf(body, [['target']], 60);
    assert.ok(s.text.startsWith('…') && s.text.endsWith('…'), s.text);
    assert.equal(s.text.length, 62);
    assert.match(s.text, /^…alpha /);
    assert.deepEqual(s.highlights.map(([a, b]) => s.text.slice(a, b)), ['target']);
  });

  it('never splits a surrogate pair at the cut', () => {
    const body = `target ${'😀'.repeat(100)}`;
    const s = snippetOf(body, [['target']], 20);
    assert.doesNotMatch(s.text, /[\uD800-\uDBFF]…$/);
  });
});

describe('byRelevance', () => {
  it('puts more mentions and shorter bodies first, keeps the given order on ties', () => {
    const m = (body: string, id: string) => ({ body, id });
    const ranked = byRelevance([m('cat', 'new'), m('a cat and a dog and a bird and a fish', 'long'), m('cat cat cat', 'three'), m('cat', 'old')], [['cat']]);
    assert.deepEqual(ranked.map((r) => r.id), ['three', 'new', 'old', 'long']);
    assert.deepEqual(byRelevance([m('red fox', 'a'), m('fox red', 'b')], [['red', 'fox']]).map((r) => r.id), ['a', 'b']);
  });
});
