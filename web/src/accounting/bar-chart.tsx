export interface Bar {
  key: string;
  label: string;
  /** The bar's length (a number: drawing needs no exact decimals). */
  value: number;
  /** What is written at the bar's end (the formatted amount). */
  text: string;
}

const WIDTH = 360;
const ROW = 40;
const LABEL = 15;
const BAR = 16;

/**
 * A horizontal bar chart as inline SVG: each bar's label on its own line above it, so long channel names
 * stay readable on a phone. To assistive technology it is one image whose name (`summary`) says what it
 * shows; the same numbers are in the table the screen puts below it.
 */
export function BarChart({ bars, summary }: { bars: Bar[]; summary: string }) {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const height = bars.length * ROW + 4;
  return (
    <svg className="bar-chart" role="img" aria-label={summary} viewBox={`0 0 ${WIDTH} ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
      {bars.map((bar, i) => {
        const y = i * ROW;
        const length = max > 0 ? Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * (WIDTH * 0.72)) : 0;
        return (
          <g key={bar.key} aria-hidden="true">
            <text x={0} y={y + LABEL - 3} className="bar-label">
              {bar.label.length > 48 ? bar.label.slice(0, 47) + '…' : bar.label}
            </text>
            <rect x={0} y={y + LABEL} width={length} height={BAR} rx={3} className="bar" />
            <text x={length + 6} y={y + LABEL + BAR - 4} className="bar-value">
              {bar.text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
