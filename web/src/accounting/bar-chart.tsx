export interface Bar {
  key: string;
  label: string;
  /** The bar's length (a number: drawing needs no exact decimals). */
  value: number;
  /** What is written at the bar's end (the formatted amount). */
  text: string;
}

const ROW = 42;
const LABEL = 16;
const BAR = 16;
/** The longest bar's share of the width: the rest keeps room for its amount. */
const LONGEST = 70;

/**
 * A horizontal bar chart as inline SVG, as wide as its box at any screen width (lengths in percent,
 * text in pixels: nothing is scaled). Each bar's label sits on its own line above it, so long channel
 * names stay readable on a phone. To assistive technology it is one image whose name (`summary`) says
 * what it shows; the same numbers are in the table the screen puts below it.
 */
export function BarChart({ bars, summary }: { bars: Bar[]; summary: string }) {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const height = bars.length * ROW;
  return (
    <svg className="bar-chart" role="img" aria-label={summary} width="100%" height={height}>
      {bars.map((bar, i) => {
        const y = i * ROW;
        const percent = max > 0 && bar.value > 0 ? Math.max(0.5, (bar.value / max) * LONGEST) : 0;
        return (
          <g key={bar.key} aria-hidden="true">
            <text x={0} y={y + LABEL - 4} className="bar-label">
              {bar.label.length > 60 ? bar.label.slice(0, 59) + '…' : bar.label}
            </text>
            <rect x={0} y={y + LABEL} width={`${percent}%`} height={BAR} rx={3} className="bar" />
            <text x={`${percent + 1}%`} y={y + LABEL + BAR - 3} className="bar-value">
              {bar.text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
