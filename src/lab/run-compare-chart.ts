// Draws one numeric series across compared runs as a small inline SVG line chart (the layout is
// run-compare-numbers.ts). Colours come from the stylesheet's JupyterLab theme variables.
import { svg } from './dom';
import { formatNumber, layoutChart, type NumericSeries } from './run-compare-numbers';

export function seriesChart(series: NumericSeries, runs: string[]): SVGSVGElement {
  const layout = layoutChart(series.values);
  const { plot } = layout;
  const chart = svg('svg', {
    class: 'cf-compare-chart',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'img',
    'aria-label': `${series.label} across ${runs.length} runs`,
    'data-series': series.label,
  });
  const axes = svg('path', {
    class: 'cf-chart-axis',
    d: `M${plot.left} ${plot.top}V${plot.bottom}H${plot.right}`,
  });
  const labels = [
    ...layout.yLabels.map((l) => {
      const text = svg('text', {
        class: 'cf-chart-label',
        x: plot.left - 6,
        y: l.y + 4,
        'text-anchor': 'end',
      });
      text.textContent = l.text;
      return text;
    }),
    ...layout.xLabels.map((l) => {
      const text = svg('text', {
        class: 'cf-chart-label',
        x: l.x,
        y: plot.bottom + 15,
        'text-anchor': 'middle',
      });
      text.textContent = l.text;
      return text;
    }),
  ];
  const line = layout.segments.map((s) => svg('line', { class: 'cf-chart-line', ...s }));
  const marks = layout.marks.map((m) => {
    const mark = svg('circle', { class: 'cf-chart-mark', cx: m.x, cy: m.y, r: 4, 'data-run': runs[m.run] });
    const title = svg('title');
    title.textContent = `${runs[m.run]}: ${formatNumber(m.value)}`;
    mark.append(title);
    return mark;
  });
  chart.append(axes, ...labels, ...line, ...marks);
  return chart;
}
