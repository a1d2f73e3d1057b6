import { useEffect, useRef, useState } from 'preact/hooks';
import { bucketDelta, histogramQuantile, type Bucket } from '../../src/transport/histogram.ts';
import type { AdminApi, Health, LatencyBucket, Overview } from './api.ts';
import { TimeChart, type Line } from './chart.tsx';
import { when } from '../shared/use-async.ts';

/** How often the overview polls the server, ms. */
const POLL_MS = 1000;
/** How many samples the charts keep (two minutes at one a second). */
const KEEP = 120;

/** One poll's figures for the charts. */
interface Sample {
  t: number;
  rate: number | null;
  p50: number | null;
  p99: number | null;
  online: number;
}

const toBuckets = (b: readonly LatencyBucket[]): Bucket[] => b.map((x) => ({ le: x.le ?? Infinity, count: x.count }));
const ms = (seconds: number | null | undefined): number | null => (seconds === null || seconds === undefined ? null : Math.round(seconds * 10_000) / 10);

/**
 * The figures of the interval between two polls: messages per second, and the p50/p99 of the
 * messages acknowledged in it (null when there were none).
 */
function sampleOf(prev: Overview | undefined, cur: Overview): Sample {
  if (!prev || cur.at <= prev.at) return { t: cur.at / 1000, rate: null, p50: null, p99: null, online: cur.online_users };
  const delta = bucketDelta(toBuckets(cur.latency.buckets), toBuckets(prev.latency.buckets));
  const rate = Math.max(0, cur.messages_total - prev.messages_total) / ((cur.at - prev.at) / 1000);
  return { t: cur.at / 1000, rate: Math.round(rate * 10) / 10, p50: ms(histogramQuantile(0.5, delta)), p99: ms(histogramQuantile(0.99, delta)), online: cur.online_users };
}

function Stat({ name, label, value, hint }: { name: string; label: string; value: string; hint?: string }) {
  return (
    <div class="stat" data-stat={name}>
      <span class="label">{label}</span>
      <span class="value">{value}</span>
      {hint !== undefined && <span class="hint">{hint}</span>}
    </div>
  );
}

const healthText = (h: Health): string => (h.status === 'ok' ? `ok${h.ms === undefined ? '' : ` (${String(h.ms)} ms)`}` : h.status === 'unused' ? 'not used' : 'DOWN');
const fmt = (v: number | null, unit = ''): string => (v === null ? '-' : `${String(v)}${unit}`);

const RATE_LINES: readonly Line[] = [{ label: 'messages/s', color: '#2563eb' }];
const LATENCY_LINES: readonly Line[] = [
  { label: 'p50', color: '#16a34a' },
  { label: 'p99', color: '#dc2626' },
];
const ONLINE_LINES: readonly Line[] = [{ label: 'online users', color: '#9333ea' }];

/** The live overview: polls GET /admin/overview every second and charts the last two minutes. */
export function OverviewPage({ api }: { api: AdminApi }) {
  const [latest, setLatest] = useState<Overview | undefined>(undefined);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState('');
  const prev = useRef<Overview | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const poll = async (): Promise<void> => {
      try {
        const o = await api.overview();
        if (stopped) return;
        const s = sampleOf(prev.current, o);
        prev.current = o;
        setLatest(o);
        setSamples((old) => [...old, s].slice(-KEEP));
        setError('');
      } catch (err) {
        if (!stopped) setError(err instanceof Error ? err.message : String(err));
      }
      if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [api]);

  const last = samples[samples.length - 1];
  const times = samples.map((s) => s.t);
  return (
    <section>
      <h2>Live overview</h2>
      {error !== '' && <p class="error" role="alert">{error}</p>}
      {latest === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <div class="stats">
            <Stat name="online_users" label="Online users" value={String(latest.online_users)} hint={`${String(latest.connections)} connections`} />
            <Stat name="messages_per_second" label="Messages/s" value={fmt(last?.rate ?? null)} hint={`${String(latest.messages_total)} since start`} />
            <Stat name="p50" label="p50 ack" value={fmt(last?.p50 ?? null, ' ms')} hint={`since start ${fmt(ms(latest.latency.p50), ' ms')}`} />
            <Stat name="p99" label="p99 ack" value={fmt(last?.p99 ?? null, ' ms')} hint={`since start ${fmt(ms(latest.latency.p99), ' ms')}`} />
            <Stat name="push_outbox" label="Push outbox" value={latest.push_outbox === null ? '-' : String(latest.push_outbox)} hint="waiting to be sent" />
            <Stat name="store" label="Store" value={healthText(latest.health.store)} />
            <Stat name="redis" label="Redis" value={healthText(latest.health.redis)} />
            <Stat name="messages_per_minute" label="Last minute" value={fmt(latest.messages_per_minute)} hint="messages, whole cluster" />
          </div>
          <div class="charts">
            <TimeChart title="Messages per second (this node)" unit="msg/s" lines={RATE_LINES} times={times} series={[samples.map((s) => s.rate)]} />
            <TimeChart title="Message ack time (this node)" unit="ms" lines={LATENCY_LINES} times={times} series={[samples.map((s) => s.p50), samples.map((s) => s.p99)]} />
            <TimeChart title="Online users" unit="users" lines={ONLINE_LINES} times={times} series={[samples.map((s) => s.online)]} />
          </div>
          <h3>Nodes</h3>
          <table data-table="nodes">
            <thead>
              <tr><th>Node</th><th>Connections</th><th>Started</th></tr>
            </thead>
            <tbody>
              {latest.nodes.map((n) => (
                <tr key={n.node_id}>
                  <td>{n.node_id}{n.node_id === latest.node_id ? ' (answering)' : ''}</td>
                  <td>{n.connections}</td>
                  <td>{when(n.started_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">Messages/s and ack times are those of the node answering; online users, connections, the last minute and the push outbox cover the whole cluster.</p>
        </>
      )}
    </section>
  );
}
