import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FrameScheduler, type DelayReason, type LaneIo } from './frame-lanes.js';

/** A socket stand-in whose requests finish when the test says so. */
class Socket implements LaneIo {
  /** Stands for the dispatcher: the frame runs until the test finishes it. */
  buffered = 0;
  paused = false;
  started: string[] = [];
  private finishers: (() => void)[] = [];
  run(frame: Buffer): Promise<void> {
    this.started.push(frame.toString());
    return new Promise((resolve) => this.finishers.push(resolve));
  }
  get bufferedAmount(): number {
    return this.buffered;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** Finishes the oldest running request. */
  finish(): void {
    this.finishers.shift()?.();
  }
  get running(): number {
    return this.finishers.length;
  }
}

function scheduler(maxInFlight = 4, outputBudgetBytes = 1 << 20, pass?: { sliceMs: number; maxFrames: number }): { s: FrameScheduler; delayed: DelayReason[]; dropped: number[] } {
  const delayed: DelayReason[] = [];
  const dropped: number[] = [];
  const s = new FrameScheduler({ maxInFlight, outputBudgetBytes }, { delayed: (r) => delayed.push(r), dropped: (n) => dropped.push(n) }, pass);
  return { s, delayed, dropped };
}

const frames = (n: number, prefix = 'f'): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}${i}`));

describe('frame lanes', () => {
  it('runs at most maxInFlight frames of a socket, in arrival order, and stops reading it meanwhile', async () => {
    const { s, delayed } = scheduler(4);
    const sock = new Socket();
    const lane = s.lane(sock, (f) => sock.run(f));
    lane.noteSent(100); // small replies: the in-flight cap is the limit, not the output estimate
    for (let i = 0; i < 12; i++) lane.noteSent(100);
    for (const f of frames(50)) lane.push(f);
    await tick();
    assert.equal(sock.running, 4);
    assert.deepEqual(sock.started, ['f0', 'f1', 'f2', 'f3']);
    assert.equal(sock.paused, true);
    assert.ok(delayed.includes('in_flight'));
    for (let done = 0; done < 46; done++) {
      sock.finish();
      await tick();
      await tick();
      assert.ok(sock.running <= 4);
    }
    assert.deepEqual(sock.started, frames(50).map(String));
    assert.equal(sock.paused, false, 'reading resumes once the backlog is gone');
  });

  it('holds frames while unsent output is over budget and starts them when it drains', async () => {
    const { s, delayed } = scheduler(16, 64 * 1024);
    const sock = new Socket();
    const lane = s.lane(sock, (f) => sock.run(f));
    sock.buffered = 100 * 1024;
    for (const f of frames(3)) lane.push(f);
    await tick();
    assert.equal(sock.running, 0);
    assert.deepEqual(delayed, ['output', 'output', 'output']);
    sock.buffered = 0;
    lane.drained();
    await tick();
    assert.ok(sock.running >= 1);
  });

  it('counts replies being built at the largest recent reply size', async () => {
    const { s } = scheduler(16, 1 << 20);
    const sock = new Socket();
    const lane = s.lane(sock, (f) => sock.run(f));
    lane.noteSent(900 * 1024); // one reply of 900 KB seen: only one request at a time now
    for (const f of frames(5)) lane.push(f);
    await tick();
    assert.equal(sock.running, 1);
    sock.finish();
    await tick();
    await tick();
    assert.equal(sock.running, 1);
  });

  it('starts an idle socket\'s frame at once while another socket has a backlog', () => {
    // A slice far longer than the test: the 100 pushes before the idle socket's frame may take
    // more than the default 4 ms on a loaded machine, and the slice is the next test's subject.
    const { s } = scheduler(2, 1 << 20, { sliceMs: 60_000, maxFrames: 256 });
    const busy = new Socket();
    const busyLane = s.lane(busy, (f) => busy.run(f));
    for (const f of frames(100, 'b')) busyLane.push(f);
    const idle = new Socket();
    s.lane(idle, (f) => idle.run(f)).push(Buffer.from('ping'));
    assert.deepEqual(idle.started, ['ping'], 'no waiting behind the busy socket');
  });

  it('starts idle sockets\' frames inline only for a slice of each turn, then in the next pass', async () => {
    const { s } = scheduler(4);
    const heavy = new Socket();
    const slowRun = (f: Buffer): Promise<void> => {
      const until = performance.now() + 10; // a frame that keeps the event loop 10 ms
      while (performance.now() < until);
      return heavy.run(f);
    };
    s.lane(heavy, slowRun).push(Buffer.from('h'));
    const next = new Socket();
    s.lane(next, (f) => next.run(f)).push(Buffer.from('n'));
    assert.deepEqual(heavy.started, ['h']);
    assert.deepEqual(next.started, [], 'the turn\'s slice is used up');
    await tick();
    assert.deepEqual(next.started, ['n']);
  });

  it('takes sockets with backlogs in turn', async () => {
    const { s } = scheduler(1);
    const a = new Socket();
    const b = new Socket();
    const la = s.lane(a, (f) => a.run(f));
    const lb = s.lane(b, (f) => b.run(f));
    for (const f of frames(5, 'a')) la.push(f);
    for (const f of frames(5, 'b')) lb.push(f);
    for (let i = 0; i < 3; i++) {
      a.finish();
      b.finish();
      await tick();
      await tick();
    }
    assert.equal(a.started.length, b.started.length);
  });

  it('drops the backlog of a closed socket and counts it', async () => {
    const { s, dropped } = scheduler(1);
    const sock = new Socket();
    const lane = s.lane(sock, (f) => sock.run(f));
    for (const f of frames(10)) lane.push(f);
    lane.close();
    sock.finish();
    await tick();
    assert.deepEqual(dropped, [9]);
    assert.equal(sock.started.length, 1);
  });
});
