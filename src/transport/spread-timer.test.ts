import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { SpreadTimer } from './spread-timer.js';

describe('SpreadTimer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  /** Runs `ms` of mocked time in 1 ms steps; `clock.now` is the mocked time for the visits to note. */
  function run(clock: { now: number }, ms: number): void {
    for (let i = 0; i < ms; i++) {
      clock.now++;
      mock.timers.tick(1);
    }
  }

  it('visits every member once per period, a slice per tick, never two visits of one member less than a period apart', () => {
    const clock = { now: 0 };
    const visits = new Map<string, number[]>();
    const perTick = new Map<number, number>();
    const timer = new SpreadTimer<string>(200, (m) => {
      visits.set(m, [...(visits.get(m) ?? []), clock.now]);
      perTick.set(clock.now, (perTick.get(clock.now) ?? 0) + 1);
    });
    const members = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const m of members) timer.add(m);
    assert.equal(timer.size, 40);
    run(clock, 600);
    timer.stop();
    for (const m of members) {
      const at = visits.get(m) ?? [];
      assert.equal(at.length, 3, `${m} visited ${at.length} times in three periods`);
      for (let i = 1; i < at.length; i++) assert.equal((at[i] as number) - (at[i - 1] as number), 200, `${m}: ${at.join(', ')}`);
    }
    // 200 ms is 8 slots of 25 ms: 40 members are 5 a tick, never all 40 in one.
    assert.equal(Math.max(...perTick.values()), 5);
    assert.equal(perTick.size, 24);
  });

  it('keeps each remaining member on its own period when others leave, and never visits one that left', () => {
    const clock = { now: 0 };
    const visits = new Map<string, number[]>();
    const timer = new SpreadTimer<string>(200, (m) => visits.set(m, [...(visits.get(m) ?? []), clock.now]));
    for (let i = 0; i < 16; i++) timer.add(`m${i}`);
    run(clock, 200);
    const first = new Map([...visits].map(([m, at]) => [m, at[0] as number]));
    // Everyone but the last one leaves; adding a member twice is a no-op.
    for (let i = 0; i < 15; i++) timer.delete(`m${i}`);
    timer.add('m15');
    timer.delete('never-added');
    assert.equal(timer.size, 1);
    visits.clear();
    run(clock, 400);
    timer.stop();
    assert.deepEqual([...visits.keys()], ['m15']);
    const last = first.get('m15') as number;
    assert.deepEqual(visits.get('m15'), [last + 200, last + 400]);
  });

  it('lets a visit remove members, and stops visiting after stop()', () => {
    const clock = { now: 0 };
    const seen: string[] = [];
    const timer = new SpreadTimer<string>(50, (m) => {
      seen.push(m);
      timer.delete(m);
    });
    for (const m of ['a', 'b', 'c']) timer.add(m);
    run(clock, 50);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
    assert.equal(timer.size, 0);
    timer.add('d');
    timer.stop();
    run(clock, 200);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  it('refuses a period that is not above zero', () => {
    assert.throws(() => new SpreadTimer<string>(0, () => {}), /periodMs/);
  });
});
