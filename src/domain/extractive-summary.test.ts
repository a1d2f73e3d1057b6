import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cap, contentWords, extractiveSummary } from './extractive-summary.js';

const chat = [
  { author: 'Bob', text: 'Lunch anyone?' },
  { author: 'Bob', text: 'The release build failed on the payment tests. Sorry!' },
  { author: 'Carol', text: 'ok' },
  { author: 'Carol', text: 'The payment tests fail because of the currency rounding in the release branch.' },
  { author: 'Alice', text: 'I will fix the currency rounding in the payment module before the release.' },
  { author: 'Bob', text: 'Nice weather today' },
];

describe('extractive summary', () => {
  it('keeps the sentences about what the chat keeps coming back to, in chat order, with their authors', () => {
    const out = extractiveSummary(chat, { maxSentences: 2, maxChars: 1000 });
    assert.equal(out, 'Carol: The payment tests fail because of the currency rounding in the release branch.\nAlice: I will fix the currency rounding in the payment module before the release.');
  });

  it('picks at most maxSentences, skips near-repeats and small talk', () => {
    const repeated = [...chat, { author: 'Dan', text: 'The payment tests fail because of the currency rounding in the release branch!' }];
    const out = extractiveSummary(repeated, { maxSentences: 3, maxChars: 1000 }).split('\n');
    assert.equal(out.length, 3);
    assert.equal(out.filter((l) => l.includes('fail because of the currency rounding')).length, 1, 'a near-repeat is not picked twice');
    assert.ok(!out.some((l) => /Lunch|ok$|weather/.test(l)));
  });

  it('caps its length at a word, and answers nothing for a chat of stop words', () => {
    const out = extractiveSummary(chat, { maxSentences: 5, maxChars: 60 });
    assert.ok(out.length <= 60 && out.endsWith('…'), out);
    assert.equal(extractiveSummary([{ author: 'a', text: 'ok' }, { author: 'b', text: 'yes, thanks!' }], { maxSentences: 3, maxChars: 100 }), '');
    assert.equal(extractiveSummary([], { maxSentences: 3, maxChars: 100 }), '');
  });

  it('reads words of any script and never cuts an emoji in half', () => {
    assert.deepEqual(contentWords("Сборка готова, won't panic — 構築"), ['сборка', 'готова', 'wont', 'panic', '構築']);
    assert.equal(cap('ab😀cd', 4), 'ab…');
    assert.equal(cap('short', 10), 'short');
  });
});
