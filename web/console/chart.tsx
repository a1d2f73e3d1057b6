import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One line of a chart. */
export interface Line {
  label: string;
  color: string;
}

/**
 * A time chart (uPlot) of `series` over `times` (unix seconds), redrawn when the data change.
 * The uPlot instance is made once per mount and fed new data in place.
 */
export function TimeChart({ title, lines, times, series, unit }: { title: string; lines: readonly Line[]; times: readonly number[]; series: readonly (readonly (number | null)[])[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height: 200,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max, min + 1)] } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, spanGaps: true }))],
      legend: { live: false },
    };
    plot.current = new uPlot(opts, [[], ...lines.map(() => [])], el);
    const onResize = (): void => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 200 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [title, unit, lines]);
  useEffect(() => {
    plot.current?.setData([times as number[], ...series.map((s) => s as (number | null)[])]);
  }, [times, series]);
  return <div class="chart" ref={box} />;
}
