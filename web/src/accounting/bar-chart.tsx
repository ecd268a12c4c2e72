export interface Bar {
  key: string;
  label: string;
  /** The bar's length (a number: drawing needs no exact decimals). */
  value: number;
  /** What is written at the bar's end (the formatted amount). */
  text: string;
}

const ROW = 44;
const LABEL = 17;
const BAR = 16;

/**
 * A horizontal bar chart as inline SVG, as wide as its box at any screen width (lengths in percent,
 * text in pixels: nothing is scaled). Each bar's label and amount sit on a line of their own above
 * it (label left, amount right), so neither is cut off on a phone. To assistive technology it is one image whose name (`summary`) says
 * what it shows; the same numbers are in the table the screen puts below it.
 */
export function BarChart({ bars, summary }: { bars: Bar[]; summary: string }) {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const height = bars.length * ROW;
  return (
    <svg className="bar-chart" role="img" aria-label={summary} width="100%" height={height}>
      {bars.map((bar, i) => {
        const y = i * ROW;
        const percent = max > 0 && bar.value > 0 ? Math.max(0.5, (bar.value / max) * 100) : 0;
        return (
          <g key={bar.key} aria-hidden="true">
            <text x={0} y={y + LABEL - 4} className="bar-label">
              {bar.label.length > 34 ? bar.label.slice(0, 33) + '…' : bar.label}
            </text>
            <text x="100%" y={y + LABEL - 4} className="bar-value" textAnchor="end">
              {bar.text}
            </text>
            <rect x={0} y={y + LABEL} width={`${percent}%`} height={BAR} rx={3} className="bar" />
          </g>
        );
      })}
    </svg>
  );
}
